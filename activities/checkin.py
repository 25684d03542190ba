"""签到: QR tokens and the one ``check_in`` service used by the page, the JSON API and the secretary.

Tokens
    A rotating token is ``"<activity id>.<window>.<signature>"``: the window is the 30-second
    slot of the Unix time, the signature an HMAC (SHA-256, key derived from
    ``settings.CHECKIN_TOKEN_KEY`` or else ``SECRET_KEY`` with a salt of its own) over the
    activity id and the window. The current and the previous window are accepted, so a photo
    of the screen sent to someone at home stops working within a minute. A fixed token for a
    printed poster is ``"<activity id>.F.<signature>"`` over the activity's ``fixed_qr_secret``;
    it is accepted only while the secretary keeps it enabled (disabling changes the secret, so
    old posters stop working). A rotating token is verified without touching the database.

The check-in request
    ``check_in_with_token`` (the phone) runs one SELECT that reads the activity, the member of
    the logged-in user, their attendance row and their committee position together, and at
    most one write: ``INSERT ... ON CONFLICT (activity, member) DO UPDATE ... WHERE status <>
    'present' RETURNING``, followed by its audit entry. A repeated check-in writes nothing and
    answers the original row. The JSON API reads the session's account (password hash,
    ``is_active``) in that same SELECT (``load_account_state``) instead of loading the user:
    with the session and the audit entry that is four queries (three with sessions in Redis);
    a repeat is two; only the loser of two concurrent first check-ins of the same member needs
    one more (it re-reads the winner's row).
    No ``transaction.atomic`` here: the upsert is atomic by itself, and a savepoint would cost
    two more queries; the audit entry is written just after it in the same request.

The audit entry
    Every check-in that changes a row (the phone's page, the JSON API, the secretary's manual
    check-in) writes one django-auditlog ``LogEntry`` for it: the actor (the member for a QR
    check-in, the secretary otherwise), the request's IP address (``branches.audit.current_ip``;
    the row has no IP column), the status, method and time before and after, and the written
    reason when one was required. The row itself keeps ``method``, ``checked_in_at`` and
    ``recorded_by``. A repeat changes nothing and logs nothing.

A written reason
    Once an activity is held its list is frozen: a secretary who turns a 缺席 or 请假 into 实到
    afterwards (``MANUAL`` or ``SECRETARY``) must give a reason (``reason_required``), stored in
    the audit entry. A member's own QR check-in within the window (a late arrival after the
    secretary marked the meeting held) needs none.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection
from django.utils import timezone
from django.utils.crypto import constant_time_compare, get_random_string, salted_hmac
from django.utils.http import urlsafe_base64_encode

from branches.audit import current_ip
from branches.models import Branch
from members.models import Member, Position

from .errors import CheckInError
from .expected import is_expected
from .models import Activity, Attendance

WINDOW_SECONDS = 30
TOKEN_SALT = "partysite.activities.checkin"
FIXED = "F"

MESSAGES = {
    "invalid_token": "签到码无效，请重新扫描现场二维码",
    "expired_token": "签到码已过期，请重新扫描现场二维码",
    "not_open": "签到尚未开始",
    "closed": "签到已结束",
    "not_expected": "您不在本次活动的应到名单中",
    "cancelled": "活动已取消",
    "nonce_reused": "签到请求标识重复，请刷新页面后重试",
    "no_member": "您的账号未关联党员信息",
    "reason_required": "活动已召开，将缺席或请假改为实到须填写理由",
}
REASON_MAX_LENGTH = 200
# The statuses frozen by holding an activity that a secretary changes only with a written reason.
FROZEN_STATUSES = (Attendance.Status.ABSENT, Attendance.Status.LEAVE)


def _error(code: str) -> CheckInError:
    return CheckInError(MESSAGES[code], code=code)


def needs_reason(activity: Activity, before: str | None) -> bool:
    """A secretary changing a row from ``before`` needs a written reason: a held activity's 缺席 or 请假.

    Used by the secretary's check-in here and by the attendance sheet (``attendance_bulk_record``).
    """
    return activity.is_held and before in FROZEN_STATUSES


# --- tokens -----------------------------------------------------------------------------


def _sign(message: str) -> str:
    secret = getattr(settings, "CHECKIN_TOKEN_KEY", "") or settings.SECRET_KEY
    digest = salted_hmac(TOKEN_SALT, message, secret=secret, algorithm="sha256").digest()
    return urlsafe_base64_encode(digest[:16])


def window_of(now: datetime.datetime) -> int:
    return int(now.timestamp()) // WINDOW_SECONDS


def seconds_left(now: datetime.datetime | None = None) -> int:
    """Seconds until the current token is replaced (for the check-in screen's refresh)."""
    now = now or timezone.now()
    return WINDOW_SECONDS - int(now.timestamp()) % WINDOW_SECONDS


def current_token(activity: Activity, now: datetime.datetime | None = None) -> str:
    """The rotating token of ``activity`` for the 30-second window containing ``now``."""
    window = window_of(now or timezone.now())
    return f"{activity.pk}.{window}.{_sign(f'{activity.pk}:{window}')}"


def fixed_token(activity: Activity) -> str:
    """The poster token; only valid while ``activity.fixed_qr_enabled``."""
    if not activity.fixed_qr_enabled or not activity.fixed_qr_secret:
        raise CheckInError("未启用固定签到码", code="fixed_qr_disabled")
    return f"{activity.pk}.{FIXED}.{_sign(f'fixed:{activity.pk}:{activity.fixed_qr_secret}')}"


def new_fixed_secret() -> str:
    return get_random_string(32)


@dataclass(frozen=True)
class ParsedToken:
    activity_id: int
    window: int | None  # None: a fixed token
    signature: str


def parse_token(token: str) -> ParsedToken:
    """Split a token; raises ``invalid_token`` when it is not one of ours in shape."""
    parts = (token or "").strip().split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[2] or len(parts[0]) > 18:
        raise _error("invalid_token")
    if parts[1] == FIXED:
        return ParsedToken(int(parts[0]), None, parts[2])
    if not parts[1].isdigit() or len(parts[1]) > 12:
        raise _error("invalid_token")
    return ParsedToken(int(parts[0]), int(parts[1]), parts[2])


def _check_rotating(parsed: ParsedToken, now: datetime.datetime) -> None:
    expected = _sign(f"{parsed.activity_id}:{parsed.window}")
    if not constant_time_compare(expected, parsed.signature):
        raise _error("invalid_token")
    current = window_of(now)
    if parsed.window > current:
        raise _error("invalid_token")
    if parsed.window < current - 1:
        raise _error("expired_token")


def _check_fixed(parsed: ParsedToken, activity: Activity) -> None:
    if not activity.fixed_qr_enabled or not activity.fixed_qr_secret:
        raise _error("invalid_token")
    expected = _sign(f"fixed:{activity.pk}:{activity.fixed_qr_secret}")
    if not constant_time_compare(expected, parsed.signature):
        raise _error("invalid_token")


def verify_token(token: str, now: datetime.datetime | None = None) -> Activity:
    """The activity a scanned token names; ``CheckInError`` (invalid/expired) otherwise."""
    now = now or timezone.now()
    parsed = parse_token(token)
    if parsed.window is not None:
        _check_rotating(parsed, now)
    activity = Activity.objects.select_related("branch").filter(pk=parsed.activity_id).first()
    if activity is None:
        raise _error("invalid_token")
    if parsed.window is None:
        _check_fixed(parsed, activity)
    return activity


def check_window(activity: Activity, now: datetime.datetime) -> None:
    if now < activity.checkin_opens:
        raise _error("not_open")
    if now > activity.checkin_closes:
        raise _error("closed")


# --- the single read --------------------------------------------------------------------


def _fields(model, names=None) -> list:
    """Concrete fields of ``model`` (those named, if given), in the order ``Model.from_db`` expects."""
    return [f for f in model._meta.concrete_fields if names is None or f.name in names]


_ACTIVITY_FIELDS = _fields(Activity)
_MEMBER_FIELDS = _fields(Member, {"id", "name", "branch", "group", "household", "status", "is_active", "user"})
_ATTENDANCE_FIELDS = _fields(Attendance)
# The phone's check-in (``load_account_state``) reads only what it decides and answers on; the
# rest of the activity (agenda, minutes, who held or cancelled it ...) and of the attendance row
# stay deferred. ``check_in`` (pages, the secretary) reads whole rows: its callers go on using them.
_ACTIVITY_CHECKIN_FIELDS = _fields(
    Activity,
    {"id", "branch", "kind", "title", "status", "starts_at", "ends_at", "checkin_opens_at", "checkin_closes_at",
     "fixed_qr_enabled", "fixed_qr_secret"},
)  # fmt: skip
_ATTENDANCE_CHECKIN_FIELDS = _fields(
    Attendance, {"id", "activity", "member", "status", "expected", "method", "checked_in_at"}
)


@dataclass
class CheckInState:
    """Everything the check-in decides on, read in one query."""

    activity: Activity
    branch_path: str
    branch_kind: str
    member: Member | None
    member_branch_path: str
    attendance: Attendance | None
    on_committee: bool


def _converters(model, fields) -> tuple[list, list[str]]:
    """Per column (col, its converters), as the ORM finds them, or None when no column has one;
    kept on this thread's connection, by the identity of ``fields`` (one of this module's lists)."""
    cache = getattr(connection, "_checkin_converters", None)
    if cache is None:
        cache = {}
        connection._checkin_converters = cache
    found = cache.get(id(fields))
    if found is None:
        columns = []
        for field in fields:
            col = field.get_col(model._meta.db_table)
            columns.append((col, connection.ops.get_db_converters(col) + col.get_db_converters(connection)))
        if not any(converters for _, converters in columns):
            columns = None  # PostgreSQL: psycopg's loaders already give Python values
        found = cache[id(fields)] = (columns, [f.attname for f in fields])
    return found


def _instance(model, fields, values):
    """A model instance from raw column values, through the backend's converters (as the ORM does)."""
    columns, attnames = _converters(model, fields)
    if columns is None:
        return model.from_db(DEFAULT_DB_ALIAS, attnames, values)
    converted = []
    for (col, converters), value in zip(columns, values, strict=True):
        for converter in converters:
            value = converter(value, col, connection)
        converted.append(value)
    return model.from_db(DEFAULT_DB_ALIAS, attnames, converted)


_SQL: dict = {}
_PREPARED_CURSOR = None


def _prepared_cursor_class():
    """A psycopg cursor class that binds on the server and has every statement prepared."""
    global _PREPARED_CURSOR
    if _PREPARED_CURSOR is None:
        from django.db.backends.postgresql.base import ServerBindingCursor

        class PreparedCursor(ServerBindingCursor):
            def execute(self, query, params=None, *, prepare=None, binary=None):
                return super().execute(query, params, prepare=True, binary=binary)

        _PREPARED_CURSOR = PreparedCursor
    return _PREPARED_CURSOR


def _cursor():
    """A cursor for the check-in's two statements, prepared on PostgreSQL.

    Django's cursors bind parameters on the client and never prepare (its default keeps
    connection poolers working), so the state query's five joins were planned on every
    request. Here PostgreSQL plans each statement once per connection (kept ``CONN_MAX_AGE``
    seconds). The cursor is wrapped as Django wraps its own: the same error translation and
    ``execute_wrapper`` hooks. While queries are logged (``DEBUG``, the tests' query counts),
    Django's own cursor is used: its log reads the text psycopg keeps of a client-bound query,
    which a prepared execution does not leave. Elsewhere (SQLite): Django's cursor.
    """
    if connection.vendor != "postgresql" or connection.queries_logged:
        return connection.cursor()
    connection.ensure_connection()
    return connection._prepare_cursor(_prepared_cursor_class()(connection.connection))


def _sql(build, *args) -> str:
    """The statement ``build(*args)`` makes for this database vendor, built once."""
    key = (connection.vendor, build.__name__, args)
    text = _SQL.get(key)
    if text is None:
        text = _SQL[key] = build(*args)
    return text


def _state_select(activity_fields: list, attendance_fields: list) -> str:
    """The state's select list: activity, member and attendance columns, both branches, the committee test."""
    qn = connection.ops.quote_name
    position = qn(Position._meta.db_table)
    titles = ", ".join(["%s"] * len(Position.COMMITTEE_TITLES))
    columns = (
        [f"a.{qn(f.column)}" for f in activity_fields]
        + [f"m.{qn(f.column)}" for f in _MEMBER_FIELDS]
        + [f"t.{qn(f.column)}" for f in attendance_fields]
    )
    return (
        f"{', '.join(columns)}, ab.path, ab.kind, mb.path, "
        f"EXISTS (SELECT 1 FROM {position} p WHERE p.member_id = m.id AND p.branch_id = a.branch_id "
        f"AND p.ended_on IS NULL AND p.title IN ({titles}))"
    )


def _state_sql(member_column: str) -> str:
    qn = connection.ops.quote_name
    a, m, t = (qn(model._meta.db_table) for model in (Activity, Member, Attendance))
    branch = qn(Branch._meta.db_table)
    return (
        f"SELECT {_state_select(_ACTIVITY_FIELDS, _ATTENDANCE_FIELDS)} "
        f"FROM {a} a INNER JOIN {branch} ab ON ab.id = a.branch_id "
        f"LEFT JOIN {m} m ON m.{qn(member_column)} = %s "
        f"LEFT JOIN {branch} mb ON mb.id = m.branch_id "
        f"LEFT JOIN {t} t ON t.activity_id = a.id AND t.member_id = m.id "
        f"WHERE a.id = %s"
    )


def _user_state_sql() -> str:
    """The state query driven by the account: its password hash and ``is_active`` come back even without an activity."""
    qn = connection.ops.quote_name
    a, m, t = (qn(model._meta.db_table) for model in (Activity, Member, Attendance))
    branch, user_table = qn(Branch._meta.db_table), qn(get_user_model()._meta.db_table)
    return (
        f"SELECT {_state_select(_ACTIVITY_CHECKIN_FIELDS, _ATTENDANCE_CHECKIN_FIELDS)}, u.{qn('password')}, u.{qn('is_active')} "
        f"FROM {user_table} u LEFT JOIN {a} a ON a.id = %s "
        f"LEFT JOIN {branch} ab ON ab.id = a.branch_id "
        f"LEFT JOIN {m} m ON m.{qn('user_id')} = u.id "
        f"LEFT JOIN {branch} mb ON mb.id = m.branch_id "
        f"LEFT JOIN {t} t ON t.activity_id = a.id AND t.member_id = m.id "
        f"WHERE u.id = %s"
    )


def _state_from_row(row, activity_fields=_ACTIVITY_FIELDS, attendance_fields=_ATTENDANCE_FIELDS) -> CheckInState | None:
    n_a, n_m, n_t = len(activity_fields), len(_MEMBER_FIELDS), len(attendance_fields)
    if row[0] is None:  # no such activity (only the account-driven query gets here)
        return None
    activity = _instance(Activity, activity_fields, row[:n_a])
    member_values = row[n_a : n_a + n_m]
    member = _instance(Member, _MEMBER_FIELDS, member_values) if member_values[0] is not None else None
    attendance_values = row[n_a + n_m : n_a + n_m + n_t]
    attendance = None
    if attendance_values[0] is not None:
        attendance = _instance(Attendance, attendance_fields, attendance_values)
        attendance.activity, attendance.member = activity, member
    branch_path, branch_kind, member_branch_path, on_committee = row[n_a + n_m + n_t : n_a + n_m + n_t + 4]
    return CheckInState(
        activity, branch_path, branch_kind, member, member_branch_path or "", attendance, bool(on_committee)
    )


@dataclass
class SessionAccount:
    """The session's account as the state query read it: what ``get_user`` checks, without the user."""

    password: str
    is_active: bool
    state: CheckInState | None  # None: no activity of that id (or none asked for)


def load_account_state(*, user_id: int, activity_id: int | None) -> SessionAccount | None:
    """One query: the account's password hash and ``is_active`` with ``load_state``'s state; None: no account."""
    params = sorted(Position.COMMITTEE_TITLES) + [activity_id, user_id]
    with _cursor() as cursor:
        cursor.execute(_sql(_user_state_sql), params)
        row = cursor.fetchone()
    if row is None:
        return None
    password, is_active = row[-2:]
    state = _state_from_row(row[:-2], _ACTIVITY_CHECKIN_FIELDS, _ATTENDANCE_CHECKIN_FIELDS)
    return SessionAccount(password or "", bool(is_active), state)


def load_state(*, activity_id: int, member_id: int | None = None, user_id: int | None = None) -> CheckInState | None:
    """One query: the activity with the member (by id or by user id) and their attendance; None: no activity."""
    column, key = ("user_id", user_id) if member_id is None else ("id", member_id)
    params = sorted(Position.COMMITTEE_TITLES) + [key, activity_id]
    with _cursor() as cursor:
        cursor.execute(_sql(_state_sql, column), params)
        row = cursor.fetchone()
    if row is None:
        return None
    return _state_from_row(row)


# --- the single write -------------------------------------------------------------------

_INSERT_FIELDS = [
    Attendance._meta.get_field(name)
    for name in (
        "activity",
        "member",
        "status",
        "expected",
        "full_member",
        "method",
        "checked_in_at",
        "nonce",
        "note",
        "recorded_by",
        "created_at",
        "updated_at",
    )
]
_UPDATED_ON_CHECK_IN = ("status", "full_member", "method", "checked_in_at", "nonce", "recorded_by", "updated_at")
_RETURNED_FIELDS = _fields(Attendance, {"id", "expected", "hours", "note", "created_at"})


def _upsert_sql() -> str:
    qn = connection.ops.quote_name
    table = qn(Attendance._meta.db_table)
    columns = ", ".join(qn(f.column) for f in _INSERT_FIELDS)
    placeholders = ", ".join(["%s"] * len(_INSERT_FIELDS))
    updates = [
        f"{qn(c)} = EXCLUDED.{qn(c)}"
        for c in (Attendance._meta.get_field(name).column for name in _UPDATED_ON_CHECK_IN)
    ]
    expected = qn("expected")
    updates.append(f"{expected} = ({table}.{expected} OR EXCLUDED.{expected})")
    returning = ", ".join(qn(f.column) for f in _RETURNED_FIELDS)
    return (
        f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) "
        f"ON CONFLICT ({qn('activity_id')}, {qn('member_id')}) DO UPDATE SET {', '.join(updates)} "
        f"WHERE {table}.{qn('status')} <> %s RETURNING {returning}"
    )


def _write_present(attendance: Attendance) -> bool:
    """Insert the row, or turn an expected/leave/absent row present; False if it was already present."""
    values = [f.get_db_prep_save(getattr(attendance, f.attname), connection) for f in _INSERT_FIELDS]
    try:
        with _cursor() as cursor:
            cursor.execute(_sql(_upsert_sql), values + [Attendance.Status.PRESENT])
            row = cursor.fetchone()
    except IntegrityError:
        # Only the (activity, nonce) constraint can still fail. Either another member's request
        # used this nonce, or this member's own retry raced the first tap with the same nonce
        # and the first one won: then it is an ordinary repeat. (Inside a transaction the failed
        # statement has aborted it, so the row cannot be read back there.)
        if (
            connection.in_atomic_block
            or not Attendance.objects.filter(
                activity_id=attendance.activity_id, member_id=attendance.member_id, status=Attendance.Status.PRESENT
            ).exists()
        ):
            raise _error("nonce_reused") from None
        return False
    if row is None:
        return False
    returned = _instance(Attendance, _RETURNED_FIELDS, row)
    for field in _RETURNED_FIELDS:
        setattr(attendance, field.attname, getattr(returned, field.attname))
    attendance._state.adding, attendance._state.db = False, DEFAULT_DB_ALIAS
    return True


# --- the audit entry --------------------------------------------------------------------


def _text(value) -> str:
    return "None" if value in (None, "") else str(value)


def _log_check_in(
    attendance: Attendance, before: Attendance | None, *, actor, actor_id: int | None, reason: str
) -> None:
    """One ``LogEntry`` for the row a check-in changed: who, from which IP, each field before and after."""
    changes = {
        name: [_text(getattr(before, name) if before is not None else None), _text(getattr(attendance, name))]
        for name in ("status", "method", "checked_in_at")
    }
    extra = attendance.get_additional_data()
    if reason:
        extra["reason"] = reason
    # The actor as an object where the caller has one (django-auditlog's request context then reads
    # no user); by id on the JSON API, which never loads the user.
    who = {"actor": actor} if getattr(actor, "pk", None) is not None else {"actor_id": actor_id}
    LogEntry.objects.log_create(
        attendance,
        action=LogEntry.Action.CREATE if before is None else LogEntry.Action.UPDATE,
        changes=changes,
        additional_data=extra,
        remote_addr=current_ip(),
        **who,
    )


# --- the service ------------------------------------------------------------------------


def _check_in(
    state: CheckInState,
    *,
    nonce: str,
    method: str,
    by,
    now: datetime.datetime,
    by_id: int | None = None,
    reason: str = "",
) -> tuple[Attendance, bool]:
    activity, member, existing = state.activity, state.member, state.attendance
    if activity.is_cancelled:
        raise _error("cancelled")
    if existing is not None and existing.status == Attendance.Status.PRESENT:
        return existing, False
    if method == Attendance.Method.QR:
        check_window(activity, now)
    reason = (reason or "").strip()[:REASON_MAX_LENGTH]
    before = existing.status if existing is not None else None
    if method != Attendance.Method.QR and needs_reason(activity, before) and not reason:
        raise _error("reason_required")
    expected = is_expected(
        activity=activity,
        branch_path=state.branch_path,
        branch_kind=state.branch_kind,
        member=member,
        member_branch_path=state.member_branch_path,
        on_committee=state.on_committee,
        frozen_expected=existing is not None and existing.expected,
    )
    if activity.has_expected_list and not expected:
        raise _error("not_expected")
    if not member.is_active:
        raise _error("not_expected")
    attendance = Attendance(
        activity=activity,
        member=member,
        status=Attendance.Status.PRESENT,
        expected=expected,
        full_member=member.status == Member.Status.FULL,
        method=method,
        checked_in_at=now,
        nonce=(nonce or "")[:64],
        note="",
        recorded_by_id=by_id if by_id is not None else getattr(by, "pk", None),
        created_at=now,
        updated_at=now,
    )
    if _write_present(attendance):
        _log_check_in(attendance, existing, actor=by, actor_id=attendance.recorded_by_id, reason=reason)
        return attendance, True
    # Lost a race with a concurrent check-in of the same member: answer the winner's row.
    winner = Attendance.objects.get(activity_id=activity.pk, member_id=member.pk)
    winner.activity, winner.member = activity, member
    return winner, False


def check_in(
    *,
    activity: Activity,
    member: Member,
    nonce: str | None = None,
    method: str = Attendance.Method.QR,
    by=None,
    now: datetime.datetime | None = None,
    reason: str = "",
) -> tuple[Attendance, bool]:
    """签到: record ``member`` present at ``activity``; returns ``(attendance, created)``.

    Idempotent: a member is present at most once per activity, whatever the number of taps,
    retries or concurrent requests; a repeat returns the original row with ``created=False``
    (the page says "已签到" with its time). ``method=QR`` is held to the check-in window; the
    secretary's methods (``MANUAL`` on the screen, ``SECRETARY`` on the sheet) are not, so a
    meeting can be logged afterwards. An expected, absent or on-leave row turns present; at a
    held activity the secretary's methods need a written ``reason`` to turn 缺席 or 请假 into
    实到. Each change writes its audit entry (the actor is ``by``, the IP the request's).
    Raises ``CheckInError`` (``cancelled``, ``not_open``, ``closed``, ``not_expected``,
    ``nonce_reused``, ``reason_required``) and then writes nothing.
    """
    if method not in Attendance.Method.values:
        raise CheckInError("未知的签到方式", code="invalid_method")
    state = load_state(activity_id=activity.pk, member_id=member.pk)
    if state is None or state.member is None:
        raise _error("invalid_token" if state is None else "not_expected")
    return _check_in(state, nonce=nonce or "", method=method, by=by, now=now or timezone.now(), reason=reason)


def check_in_with_token(
    *, token: str, user, nonce: str | None = None, now: datetime.datetime | None = None
) -> tuple[Attendance, bool]:
    """The phone's check-in: verify the scanned ``token`` and check in the member of ``user``.

    One read and at most one write (see the module docstring); the rules are ``check_in``'s.
    Raises ``CheckInError``: the token codes, ``no_member``, and those of ``check_in``.
    """
    now = now or timezone.now()
    parsed = check_token_shape(token, now)
    state = load_state(activity_id=parsed.activity_id, user_id=user.pk)
    return check_in_loaded(parsed=parsed, state=state, user_id=user.pk, nonce=nonce, now=now, user=user)


def check_token_shape(token: str, now: datetime.datetime) -> ParsedToken:
    """What ``check_in_with_token`` verifies before its read: the shape, and a rotating token's signature and age."""
    parsed = parse_token(token)
    if parsed.window is not None:
        _check_rotating(parsed, now)
    return parsed


def check_in_loaded(
    *,
    parsed: ParsedToken,
    state: CheckInState | None,
    user_id: int,
    nonce: str | None,
    now: datetime.datetime,
    user=None,
) -> tuple[Attendance, bool]:
    """The rest of ``check_in_with_token`` once the state is read (by ``load_state`` or ``load_account_state``).

    ``user`` (the account, when the caller has it loaded) is the audit entry's actor; else ``user_id``.
    """
    if state is None:
        raise _error("invalid_token")
    if parsed.window is None:
        _check_fixed(parsed, state.activity)
    if state.member is None:
        raise _error("no_member")
    return _check_in(state, nonce=nonce or "", method=Attendance.Method.QR, by=user, by_id=user_id, now=now)
