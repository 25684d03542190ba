"""Log-in for members with their phone number or ID number instead of a username."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class MemberLoginBackend(ModelBackend):
    """Every attempt with a phone number or an ID number costs one password hash, whether or not the
    identifier names an account (as Django's ModelBackend does for an unknown username), so that the
    time of the answer does not tell who has one. Django's ModelBackend, next in the chain, then hashes
    once more for every such identifier alike (no username looks like them): two hashes for all."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or not password:
            return None
        from .accounts import find_member_for_login, looks_like_login_number

        if not looks_like_login_number(username):
            return None  # a username: Django's ModelBackend's
        member = find_member_for_login(username)
        user = member.user if member is not None else None
        if user is None:
            get_user_model()().set_password(password)  # the same work as a real check
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
