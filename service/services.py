"""Registrations and the request loop: every write, its rules, who did it (docs/rules/service.md).

Services trust their callers for permission (docs/ARCHITECTURE.md): views check through
``branches.access`` first. Each refusal is a ``ServiceError`` with a stable code; nothing is written then.
"""

from __future__ import annotations

import secrets
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone

from branches.models import Branch
from members import crypto
from members.models import Member

from . import rules
from .errors import ServiceError
from .models import (
    COMMUNITY_KINDS,
    Grid,
    Registration,
    ServiceParticipant,
    ServicePost,
    ServiceRequest,
    ServiceRequestEvent,
    ServiceRequestPhoto,
    TeamMembership,
    UnitRegistration,
    VolunteerTeam,
)

SECRET_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud or typed from paper
Status = ServiceRequest.Status
Kind = ServiceRequestEvent.Kind


def _community(branch: Branch) -> Branch:
    if branch.kind not in COMMUNITY_KINDS or branch.is_dissolved:
        raise ServiceError("只有未撤销的党委、党总支或党支部可以接受报到", code="not_a_community")
    return branch


# ---------------------------------------------------------------------------- grids and posts


def grid_create(*, community: Branch, name: str, by) -> Grid:
    """A grid of ``community`` (its QR poster's key made here)."""
    name = (name or "").strip()
    if not name:
        raise ServiceError("请填写网格名称", code="name_required", field="name")
    _community(community)
    if Grid.objects.filter(community=community, name=name).exists():
        raise ServiceError(f"网格“{name}”已存在", code="duplicate", field="name")
    return Grid.objects.create(community=community, name=name)


def post_create(*, community: Branch, name: str, description: str = "", by) -> ServicePost:
    name = (name or "").strip()
    if not name:
        raise ServiceError("请填写岗位名称", code="name_required", field="name")
    _community(community)
    if ServicePost.objects.filter(community=community, name=name).exists():
        raise ServiceError(f"服务岗位“{name}”已存在", code="duplicate", field="name")
    return ServicePost.objects.create(community=community, name=name, description=description.strip())


def team_create(*, community: Branch, name: str, leader: Member, by) -> VolunteerTeam:
    """A volunteer team of ``community``, led by a member currently registered there."""
    name = (name or "").strip()
    if not name:
        raise ServiceError("请填写服务队名称", code="name_required", field="name")
    _community(community)
    reg = current_registration(leader)
    if reg is None or reg.community_id != community.pk:
        raise ServiceError("队长须是在本社区报到（且在有效期内）的党员", code="not_registered", field="leader")
    if VolunteerTeam.objects.filter(community=community, name=name).exists():
        raise ServiceError(f"志愿服务队“{name}”已存在", code="duplicate", field="name")
    return VolunteerTeam.objects.create(community=community, name=name, leader=leader)


def team_member_add(*, team: VolunteerTeam, member: Member, by, today=None) -> TeamMembership:
    """A member joins a volunteer team: currently registered at its community, not its leader nor already in."""
    today = today or timezone.localdate()
    reg = current_registration(member, today=today)
    if reg is None or reg.community_id != team.community_id:
        raise ServiceError("队员须是在本社区报到（且在有效期内）的党员", code="not_registered", field="member")
    if member.pk == team.leader_id:
        raise ServiceError(f"{member.name}是该服务队的队长", code="is_leader", field="member")
    with transaction.atomic():
        if TeamMembership.objects.select_for_update().filter(team=team, member=member, left_on=None).exists():
            raise ServiceError(f"{member.name}已是该服务队的队员", code="already_in", field="member")
        return TeamMembership.objects.create(team=team, member=member, joined_on=today, added_by=by)


def team_member_remove(*, membership: TeamMembership, by, today=None) -> TeamMembership:
    """A member leaves a volunteer team; the row stays with the day and who recorded it."""
    with transaction.atomic():
        membership = TeamMembership.objects.select_for_update().get(pk=membership.pk)
        if membership.left_on is not None:
            raise ServiceError("该队员已退出服务队", code="already_left")
        membership.left_on, membership.removed_by = today or timezone.localdate(), by
        membership.save(update_fields=["left_on", "removed_by"])
    return membership


def team_members(team: VolunteerTeam) -> list[Member]:
    """The team's leader, then its current members: who may take part in its requests."""
    rows = TeamMembership.objects.filter(team=team, left_on=None).select_related("member").order_by("member__name")
    return [team.leader, *(row.member for row in rows)]


# ---------------------------------------------------------------------------- registrations


def registration_create(
    *, member: Member, community: Branch, grid: Grid | None, post: ServicePost | None, skills: str = "", by, today=None
) -> Registration:
    """A member reports to ``community`` (staying in their own branch); one open registration at a time."""
    today = today or timezone.localdate()
    _community(community)
    if not member.is_active:
        raise ServiceError("该党员已不在册", code="not_active")
    if grid is not None and grid.community_id != community.pk:
        raise ServiceError("所选网格不属于该社区", code="wrong_grid", field="grid")
    if post is not None and post.community_id != community.pk:
        raise ServiceError("所选服务岗位不属于该社区", code="wrong_post", field="post")
    try:
        with transaction.atomic():
            return Registration.objects.create(
                member=member,
                community=community,
                grid=grid,
                post=post,
                skills=skills.strip()[:200],
                registered_on=today,
                confirmed_on=today,
                by=by,
            )
    except IntegrityError:
        raise ServiceError("您已在一个社区报到，请先结束原报到", code="already_registered") from None


def registration_renew(*, registration: Registration, by, today=None) -> Registration:
    """Confirm the registration again (every ``SERVICE_RENEWAL_MONTHS``)."""
    if registration.ended_on is not None:
        raise ServiceError("该报到已结束", code="ended")
    registration.confirmed_on = today or timezone.localdate()
    registration.save(update_fields=["confirmed_on"])
    return registration


OWN_END_REASON = "本人结束报到"


def _end_reason(reason: str, *, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ServiceError("结束报到须填写原因", code="reason_required", field="reason")
    if len(reason) > 200:
        raise ServiceError("结束原因不超过200字", code="reason_too_long", field="reason")
    return reason


def registration_end(
    *, registration: Registration, by, reason: str = "", own: bool = False, today=None
) -> Registration:
    """End a registration (never deleted): from ``today`` it is no longer dispatched to, listed, counted in the
    报到率 nor given a feedback card. The member ends their own (``own``; a reason optional); a secretary (the
    community's or the member's own) gives a reason. The requests dispatched to the member there, or in their
    hands, return to the pool, each with a step."""
    reason = _end_reason(reason, required=not own and by is not None) or (OWN_END_REASON if own else "")
    today = today or timezone.localdate()
    with transaction.atomic():
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.ended_on is not None:
            raise ServiceError("该报到已结束", code="ended")
        registration.ended_on, registration.end_reason, registration.ended_by = today, reason, by
        registration.save(update_fields=["ended_on", "end_reason", "ended_by"])
        held = ServiceRequest.objects.select_for_update().filter(
            community_id=registration.community_id,
            assignee_id=registration.member_id,
            status__in=(Status.DISPATCHED, Status.IN_PROGRESS),
        )
        for request in held:
            request.status, request.assignee, request.team, request.dispatch_deadline = Status.NEW, None, None, None
            request.save(update_fields=["status", "assignee", "team", "dispatch_deadline"])
            _event(request, Kind.RETURNED, by=by, member=registration.member, note="报到结束，退回待派单")
    return registration


def unit_registration_end(*, registration: UnitRegistration, reason: str, by, today=None) -> UnitRegistration:
    """The community's secretary ends a unit's registration (双报到), with a reason; the row stays."""
    reason = _end_reason(reason, required=True)
    with transaction.atomic():
        registration = UnitRegistration.objects.select_for_update().get(pk=registration.pk)
        if registration.ended_on is not None:
            raise ServiceError("该单位报到已结束", code="ended")
        registration.ended_on, registration.end_reason, registration.ended_by = (
            today or timezone.localdate(),
            reason,
            by,
        )
        registration.save(update_fields=["ended_on", "end_reason", "ended_by"])
    return registration


def current_registration(member: Member, *, today=None) -> Registration | None:
    """The member's open registration if it is current (renewed in time, the member still on the roster), else None."""
    today = today or timezone.localdate()
    reg = Registration.objects.filter(member=member, ended_on=None).select_related("community", "grid").first()
    if reg is None or not member.is_active or not rules.registration_current(reg.confirmed_on, today):
        return None
    return reg


def unit_registration_create(*, unit: Branch, community: Branch, contact_name: str, contact_phone: str, by, today=None):
    """A unit's Party organization reports to ``community`` (双报到)."""
    _community(community)
    if unit.pk == community.pk:
        raise ServiceError("单位党组织不能向自身报到", code="same_branch", field="unit")
    if not (contact_name or "").strip():
        raise ServiceError("请填写联系人", code="contact_required", field="contact_name")
    if not rules.PHONE_RE.match((contact_phone or "").strip()):
        raise ServiceError("联系电话应为11位手机号码", code="bad_phone", field="contact_phone")
    try:
        with transaction.atomic():
            return UnitRegistration.objects.create(
                unit=unit,
                community=community,
                contact_name=contact_name.strip(),
                contact_phone=contact_phone.strip(),
                registered_on=today or timezone.localdate(),
                by=by,
            )
    except IntegrityError:
        raise ServiceError("该单位党组织已向这个社区报到", code="already_registered") from None


# ---------------------------------------------------------------------------- the loop


def _event(
    request: ServiceRequest, kind: str, *, by=None, member=None, note: str = "", hours=None
) -> ServiceRequestEvent:
    return ServiceRequestEvent.objects.create(
        request=request, kind=kind, by=by, member=member, note=note[:300], hours=hours
    )


def _locked(request: ServiceRequest) -> ServiceRequest:
    return ServiceRequest.objects.select_for_update().get(pk=request.pk)


def _refuse_status(request: ServiceRequest, allowed, action: str) -> None:
    if request.status not in allowed:
        raise ServiceError(
            f"该诉求当前状态为“{request.get_status_display()}”，不能{action}", code="wrong_status", field="status"
        )


def _new_receipt() -> str:
    return timezone.localdate().strftime("%y%m%d") + "".join(secrets.choice("0123456789") for _ in range(6))


PHOTO_MAGIC = {"jpg": b"\xff\xd8\xff", "jpeg": b"\xff\xd8\xff", "png": b"\x89PNG\r\n\x1a\n"}


def check_photos(uploads) -> list:
    """At most ``SERVICE_MAX_PHOTOS`` jpg or png photos, each at most ``SERVICE_PHOTO_MAX_BYTES``, their content
    matching their extension; the first one refused names itself."""
    uploads = [u for u in (uploads or []) if u]
    if len(uploads) > rules.max_photos():
        raise ServiceError(f"最多上传{rules.max_photos()}张照片", code="too_many_photos", field="photos")
    for upload in uploads:
        name = (getattr(upload, "name", "") or "").rsplit("/", 1)[-1]
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if ext not in PHOTO_MAGIC:
            raise ServiceError(f"照片“{name}”不是 jpg 或 png 图片", code="photo_type", field="photos")
        if upload.size > rules.photo_max_bytes():
            limit = rules.photo_max_bytes() // (1024 * 1024)
            raise ServiceError(f"照片“{name}”超过 {limit} MB", code="photo_too_large", field="photos")
        upload.seek(0)
        head = upload.read(8)
        upload.seek(0)
        if not head.startswith(PHOTO_MAGIC[ext]):
            raise ServiceError(f"照片“{name}”的内容与扩展名不符", code="photo_content", field="photos")
    return uploads


def _save_photos(request: ServiceRequest, uploads: list, stage: str, by) -> None:
    for upload in uploads:
        ServiceRequestPhoto.objects.create(request=request, stage=stage, file=upload, size=upload.size, by=by)


def request_create(
    *, grid: Grid, category: str, text: str, name: str, phone: str, by=None, photos=()
) -> tuple[ServiceRequest, str]:
    """A resident's request (or one entered on their behalf by ``by``): the request and its secret, shown
    once to the resident (only its digest is kept). Name and phone are encrypted at rest."""
    text, name, phone = (text or "").strip(), (name or "").strip(), (phone or "").strip()
    if not grid.is_active:
        raise ServiceError("该网格已停用，请联系社区", code="grid_inactive")
    if category not in ServiceRequest.Category.values:
        raise ServiceError("请选择诉求类别", code="bad_category", field="category")
    if not 5 <= len(text) <= 1000:
        raise ServiceError("诉求内容应为5至1000字", code="bad_text", field="text")
    if not 1 <= len(name) <= 50:
        raise ServiceError("请填写称呼（不超过50字）", code="bad_name", field="name")
    if not rules.PHONE_RE.match(phone):
        raise ServiceError("手机号码应为11位，以1开头", code="bad_phone", field="phone")
    photos = check_photos(photos)
    secret = "".join(secrets.choice(SECRET_ALPHABET) for _ in range(8))
    with transaction.atomic():
        for _attempt in range(5):
            receipt = _new_receipt()
            if not ServiceRequest.objects.filter(receipt=receipt).exists():
                break
        request = ServiceRequest.objects.create(
            community_id=grid.community_id,
            grid=grid,
            receipt=receipt,
            secret_digest=crypto.digest("service-secret:" + secret),
            category=category,
            text=text,
            resident_name_encrypted=crypto.encrypt(name),
            resident_phone_encrypted=crypto.encrypt(phone),
            created_by=by,
        )
        _event(request, Kind.CREATED, by=by, note="代群众登记" if by else "")
        _save_photos(request, photos, ServiceRequestPhoto.Stage.ASKED, by)
    return request, secret


def request_find(*, receipt: str, secret: str) -> ServiceRequest:
    """The request with this receipt number, if ``secret`` is its own; else ``not_found`` (never saying which)."""
    request = ServiceRequest.objects.select_related("grid").filter(receipt=(receipt or "").strip()).first()
    if request is None or request.secret_digest != crypto.digest("service-secret:" + (secret or "").strip().upper()):
        raise ServiceError("受理编号或查询码不正确", code="not_found")
    return request


def _registered_in(member: Member, request: ServiceRequest, today) -> Registration:
    reg = current_registration(member, today=today)
    if reg is None or reg.community_id != request.community_id:
        raise ServiceError("该党员未在本社区报到或报到已过期（需每半年确认一次）", code="not_registered")
    return reg


def request_dispatch(
    *, request: ServiceRequest, member: Member | None = None, team: VolunteerTeam | None = None, by, now=None
) -> ServiceRequest:
    """支部派单: to a member currently registered in the community, or to one of its volunteer teams (its leader
    accepts for it); to be accepted within ``SERVICE_DISPATCH_HOURS``."""
    now = now or timezone.now()
    if (member is None) == (team is None):
        raise ServiceError("请选择派单对象：已报到的党员或志愿服务队", code="no_assignee", field="member")
    with transaction.atomic():
        request = _locked(request)
        _refuse_status(request, ServiceRequest.OPEN, "派单")
        if team is not None:
            if team.community_id != request.community_id or not team.is_active:
                raise ServiceError("该志愿服务队不属于本社区或已停用", code="wrong_team", field="team")
            member = team.leader
        _registered_in(member, request, timezone.localdate(now))
        request.status, request.assignee, request.team = Status.DISPATCHED, member, team
        request.dispatch_deadline = rules.dispatch_deadline(now)
        request.save(update_fields=["status", "assignee", "team", "dispatch_deadline"])
        _event(request, Kind.DISPATCHED, by=by, member=member, note=team.name if team else "")
    return request


def _return(request: ServiceRequest) -> None:
    member = request.assignee
    request.status, request.assignee, request.team, request.dispatch_deadline = Status.NEW, None, None, None
    request.save(update_fields=["status", "assignee", "team", "dispatch_deadline"])
    _event(request, Kind.RETURNED, member=member, note="超时未接单，退回待派单")


def request_accept(*, request: ServiceRequest, member: Member, by, now=None) -> ServiceRequest:
    """党员接单: the member a request was dispatched to accepts it before its deadline."""
    now = now or timezone.now()
    with transaction.atomic():
        request = _locked(request)
        _refuse_status(request, (Status.DISPATCHED,), "接单")
        if request.assignee_id != member.pk:
            raise ServiceError("该诉求未派给您", code="not_yours")
        expired = now >= request.dispatch_deadline
        if expired:  # the return is kept (committed), then the member is told
            _return(request)
        else:
            request.status, request.dispatch_deadline = Status.IN_PROGRESS, None
            request.save(update_fields=["status", "dispatch_deadline"])
            _event(request, Kind.ACCEPTED, by=by, member=member)
    if expired:
        raise ServiceError("已超过接单期限，诉求已退回待派单", code="deadline_passed")
    return request


def request_claim(*, request: ServiceRequest, member: Member, by, now=None) -> ServiceRequest:
    """党员领单: a member registered in the request's grid (or in the community without a grid) takes it."""
    now = now or timezone.now()
    with transaction.atomic():
        request = _locked(request)
        _refuse_status(request, ServiceRequest.OPEN, "领单")
        reg = _registered_in(member, request, timezone.localdate(now))
        if reg.grid_id is not None and reg.grid_id != request.grid_id:
            raise ServiceError("只能领取本人报到网格的诉求", code="other_grid")
        request.status, request.assignee, request.team, request.dispatch_deadline = (
            Status.IN_PROGRESS,
            member,
            None,
            None,
        )
        request.save(update_fields=["status", "assignee", "team", "dispatch_deadline"])
        _event(request, Kind.CLAIMED, by=by, member=member)
    return request


def requests_return_overdue(*, now=None) -> int:
    """Dispatched requests past their deadline go back to the pool (the beat, every 15 minutes)."""
    now = now or timezone.now()
    count = 0
    with transaction.atomic():
        for request in ServiceRequest.objects.select_for_update().filter(
            status=Status.DISPATCHED, dispatch_deadline__lte=now
        ):
            _return(request)
            count += 1
    return count


def request_note(*, request: ServiceRequest, text: str, by, member: Member | None = None) -> None:
    text = (text or "").strip()
    if not text:
        raise ServiceError("请填写办理进展", code="note_required", field="note")
    if request.status == Status.CLOSED:
        raise ServiceError("该诉求已关闭", code="wrong_status")
    _event(request, Kind.NOTE, by=by, member=member, note=text)


def parse_hours(value) -> Decimal:
    """Hours of a completion: more than 0, at most ``SERVICE_MAX_HOURS``, tenths at most."""
    try:
        hours = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ServiceError("服务时长应为数字，例如 1.5", code="bad_hours", field="hours") from None
    if not hours.is_finite() or hours <= 0 or hours > rules.max_hours() or hours != hours.quantize(Decimal("0.1")):
        raise ServiceError(
            f"服务时长应大于0、不超过{rules.max_hours()}小时，最多一位小数", code="bad_hours", field="hours"
        )
    return hours


def request_complete(
    *, request: ServiceRequest, member: Member, hours, note: str, by, now=None, photos=(), participants=None
) -> ServiceRequest:
    """办结 by the member who holds it, with the hours spent (志愿服务 hours in the health check) and photos.

    Each participant is credited the hours (``ServiceParticipant``): the member alone for a request held alone;
    for a team's, ``participants`` (the leader and current members of the team who took part; all of them when
    None). A participant outside the team, or none, is refused and nothing is written."""
    hours = parse_hours(hours)
    photos = check_photos(photos)
    now = now or timezone.now()
    with transaction.atomic():
        request = _locked(request)
        _refuse_status(request, (Status.IN_PROGRESS,), "办结")
        if request.assignee_id != member.pk:
            raise ServiceError("该诉求不由您承办", code="not_yours")
        credited = _participants(request, member, participants)
        request.status, request.completed_at, request.hours = Status.DONE, now, hours
        request.rating_digest = crypto.digest("service-rate:" + rating_token(request))
        request.save(update_fields=["status", "completed_at", "hours", "rating_digest"])
        event = _event(request, Kind.COMPLETED, by=by, member=member, note=(note or "").strip(), hours=hours)
        ServiceParticipant.objects.bulk_create(
            ServiceParticipant(completion=event, member=someone, hours=hours) for someone in credited
        )
        _save_photos(request, photos, ServiceRequestPhoto.Stage.COMPLETED, by)
    return request


def _participants(request: ServiceRequest, member: Member, chosen) -> list[Member]:
    if request.team_id is None:
        return [member]
    team = VolunteerTeam.objects.select_related("leader").get(pk=request.team_id)
    allowed = {m.pk: m for m in team_members(team)}
    if chosen is None:
        return list(allowed.values())
    chosen = list({m.pk: m for m in chosen}.values())
    outsiders = [m.name for m in chosen if m.pk not in allowed]
    if outsiders:
        raise ServiceError(
            f"{'、'.join(outsiders)}不是“{team.name}”的队员，不能登记为参与队员",
            code="not_in_team",
            field="participants",
        )
    if not chosen:
        raise ServiceError("请至少选择一名参与服务的队员", code="no_participants", field="participants")
    return [allowed[m.pk] for m in chosen]


def rating_token(request: ServiceRequest) -> str:
    """The one-time rating link's token of this completion (a keyed digest: unguessable, shown on the
    resident's own tracking page); spent by ``request_rate``."""
    stamp = f"{request.completed_at.timestamp():.6f}"  # the same whatever time zone the value was read in
    return crypto.digest(f"service-rating:{request.pk}:{stamp}")[:32]


def request_rate(*, request: ServiceRequest, token: str, stars, comment: str = "", now=None) -> ServiceRequest:
    """群众评议: 1 to 5 stars, once per completion; at or below ``SERVICE_REOPEN_RATING`` it reopens."""
    try:
        stars = int(stars)
    except (TypeError, ValueError):
        stars = 0
    if not 1 <= stars <= 5:
        raise ServiceError("请选择1至5星", code="bad_rating", field="stars")
    with transaction.atomic():
        request = _locked(request)
        if (
            request.status != Status.DONE
            or not request.rating_digest
            or request.rating_digest != crypto.digest("service-rate:" + (token or ""))
        ):
            raise ServiceError("评价链接无效或已使用", code="bad_link")
        request.rating, request.rating_comment, request.rating_digest = stars, (comment or "").strip()[:300], ""
        reopen = rules.rating_reopens(stars)
        request.status = Status.REOPENED if reopen else Status.RATED
        if reopen:
            request.assignee, request.team = None, None
        request.save(update_fields=["rating", "rating_comment", "rating_digest", "status", "assignee", "team"])
        _event(request, Kind.RATED, note=f"{stars}星 {request.rating_comment}".strip())
        if reopen:
            _event(request, Kind.REOPENED)
    return request


def request_close(*, request: ServiceRequest, reason: str, by, now=None) -> ServiceRequest:
    """Close a request (never deleted): a reason is required."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("关闭诉求须填写原因", code="reason_required", field="reason")
    with transaction.atomic():
        request = _locked(request)
        _refuse_status(request, tuple(s for s in Status.values if s != Status.CLOSED), "关闭")
        request.status, request.closed_at, request.close_reason = Status.CLOSED, now or timezone.now(), reason[:200]
        request.dispatch_deadline = None
        request.save(update_fields=["status", "closed_at", "close_reason", "dispatch_deadline"])
        _event(request, Kind.CLOSED, by=by, note=reason)
    return request


def resident_of(request: ServiceRequest) -> tuple[str, str]:
    """The resident's name and phone, decrypted (pages mask the phone: core.masking.mask_phone)."""
    return crypto.decrypt(request.resident_name_encrypted), crypto.decrypt(request.resident_phone_encrypted)


def phone_key(phone: str) -> str:
    """The rate limiter's key of a phone number (its digest, never the number)."""
    return "ph" + crypto.digest("service-phone:" + (phone or "").strip())[:24]
