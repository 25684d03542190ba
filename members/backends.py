"""Log-in for members with their phone number or ID number instead of a username."""

from django.contrib.auth.backends import ModelBackend


class MemberLoginBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or not password:
            return None
        from .services import find_member_for_login

        member = find_member_for_login(username)
        if member is None or member.user is None:
            return None
        user = member.user
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
