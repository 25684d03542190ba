"""The baseline page: a bare Django view listing 50 rows of the members table.

No access checks, no filters, no count: one query and a minimal template, served through the
same middleware as the site. ``bench.urls`` adds it to the site's own URLs.
"""

from django.http import HttpResponse
from django.template import engines

from members.models import Member

PAGE_SIZE = 50

_TEMPLATE = engines["django"].from_string(
    "<!doctype html><html><body><table>"
    "{% for m in members %}<tr><td>{{ m.name }}</td><td>{{ m.sex }}</td><td>{{ m.phone }}</td>"
    "<td>{{ m.branch.name }}</td><td>{{ m.get_status_display }}</td></tr>{% endfor %}"
    "</table></body></html>"
)


def bare_list(request):
    members = Member.objects.select_related("branch").order_by("pk")[:PAGE_SIZE]
    return HttpResponse(_TEMPLATE.render({"members": members}, request))
