from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = "党员"

    def ready(self):
        from branches.services import DISSOLVE_CHECKS

        DISSOLVE_CHECKS.append(_has_active_members)
        from . import branch_panels

        branch_panels.register()  # the tree's member counts and the branch page's panels


def _has_active_members(branch):
    from .models import Member

    count = Member.objects.active().in_subtree(branch).count()
    if count:
        return f"“{branch.name}”还有{count}名在册党员，请先办理转接或离册"
    return None
