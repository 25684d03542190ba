from django.apps import AppConfig


class BranchesConfig(AppConfig):
    name = "branches"
    verbose_name = "党组织"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .menu import note_member_at_login

        # The menu's 我的 entries: whether the account has a member record, noted once per session.
        user_logged_in.connect(note_member_at_login, dispatch_uid="branches.menu.note_member_at_login")
