"""The error pages: templates/error_page.html and the 400, 403, 404, 429 (rate_limited.html) and 500
pages that extend it."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import loader
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from core.ratelimit import limited_response


@pytest.mark.parametrize(
    ("name", "heading", "message", "english"),
    [
        ("500.html", "系统出错了", "问题已记录", "Something went wrong"),
        ("400.html", "请求无效", "网址中的参数无效", "Bad request"),
    ],
)
def test_400_and_500_render_without_a_request_or_the_database(name, heading, message, english):
    # Django renders these two with no request and no context processors; not marked django_db,
    # so a query while rendering fails the test.
    with translation.override("zh-hans"):
        html = loader.get_template(name).render()
    assert f"<h1>{heading}</h1>" in html and message in html
    assert f'<a class="button" href="{reverse("home")}">返回首页</a>' in html
    assert 'class="mainnav"' not in html  # nobody is known without a request
    assert reverse("set_language") not in html and "csrfmiddlewaretoken" not in html  # no form without a token
    with translation.override("en"):
        assert f"<h1>{english}</h1>" in loader.get_template(name).render()


@pytest.mark.django_db
def test_404_and_403_keep_the_sites_navigation_and_language_form(login_as, member_a):
    c = login_as("member_a")
    for url, status, heading in (("/members/999999/", 404, "页面不存在"), (reverse("members:import"), 403, "没有权限")):
        response = c.get(url)
        html = response.text
        assert response.status_code == status and f"<h1>{heading}</h1>" in html, url
        assert 'class="mainnav"' in html and reverse("members:me") in html, url
        assert reverse("set_language") in html and "csrfmiddlewaretoken" in html, url
        assert f'<a class="button" href="{reverse("home")}">' in html, url


def test_the_rate_limited_page_shows_the_wait_and_the_way_home():
    request = RequestFactory().post("/members/activate/")
    request.user = AnonymousUser()
    with translation.override("zh-hans"):
        response = limited_response(request, retry_after=90, json=False)
    html = response.content.decode()
    assert response.status_code == 429 and response["Retry-After"] == "90"
    assert "<h1>请稍后再试</h1>" in html
    assert '<div class="errors" role="alert"><p>操作过于频繁，请 90 秒后再试</p></div>' in html
    assert f'<a class="button" href="{reverse("home")}">返回首页</a>' in html
