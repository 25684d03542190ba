"""Issue 14's meeting pages on a phone-sized screen (390x844), on the demo's data (demo/rules.py): the
assembly page with its quorum, outcomes and probation decision, the approval page, a branch's 不列入应到,
the member page's section and the branch page's panel. Each fits the screen (no sideways scrolling)."""

from __future__ import annotations

from .conftest import SCREENSHOTS, log_in, screenshot
from .test_phone_pages import _fits_the_phone, _shell

DEMO = """
import json
from activities.models import ExpectedExemption, ProbationDecision
decision = ProbationDecision.objects.select_related("resolution__activity__branch").get()
exemption = ExpectedExemption.objects.select_related("member__branch").get()
print(json.dumps({
    "assembly": decision.resolution.activity_id, "decision": decision.pk,
    "branch": decision.resolution.activity.branch.code, "exempted": exemption.member_id,
    "exemptions_branch": exemption.member.branch.code,
}))
"""


def test_the_meeting_pages_fit_a_phone(phone, site):
    ids = _shell(site, DEMO)
    page = phone
    log_in(page, "orgdept")
    for url, name, text in [
        (f"/activities/{ids['assembly']}/", "phone-assembly", "预备党员转正决定"),
        (f"/activities/probation/{ids['decision']}/approve/", "phone-probation-approve", "审批转正决定"),
        (f"/activities/branch/{ids['exemptions_branch']}/exemptions/", "phone-exemptions", "登记不列入应到"),
        (f"/members/{ids['exempted']}/", "phone-member-rules", "不列入应到、转正决定与在外参加"),
        (f"/branches/{ids['branch']}/", "phone-branch-rules-panel", "转正审批与不列入应到"),
    ]:
        page.goto(url)
        assert text in page.content(), url
        _fits_the_phone(page)
        screenshot(page, name)
    page.goto(f"/activities/{ids['assembly']}/")
    assert "未通过" in page.content() and "法定人数按有表决权的党员计" in page.content()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for selector, name in [("#sheet .quorum", "quorum"), ("#minutes", "resolutions"), ("#probation", "probation")]:
        page.locator(selector).screenshot(path=str(SCREENSHOTS / f"phone-assembly-{name}.png"))
