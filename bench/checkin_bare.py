"""The check-in benchmark's baseline: a bare Django view that does one insert.

It reads the same JSON body as ``POST /api/v1/check-ins`` and inserts one row into a small
table of its own, through the site's middleware but with no session, user, CSRF or token
check: one query. The table is created and dropped by ``bench.checkin``.
"""

import json

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

BARE_PATH = "/bench/bare-insert/"
BARE_TABLE = "bench_bare_insert"
CREATE_TABLE = (
    f"CREATE TABLE {BARE_TABLE} (id bigserial PRIMARY KEY, nonce varchar(64) NOT NULL, "
    "token varchar(100) NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
)


@csrf_exempt
def bare_insert(request: HttpRequest) -> JsonResponse:
    body = json.loads(request.body or b"{}")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BARE_TABLE} (nonce, token) VALUES (%s, %s) RETURNING id",
            [str(body.get("nonce", ""))[:64], str(body.get("token", ""))[:100]],
        )
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id}, status=201)
