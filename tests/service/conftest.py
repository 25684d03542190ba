"""Fixtures of the service app: branch A as a community with a grid and a post, members registered there."""

from __future__ import annotations

import pytest

from service import services


@pytest.fixture
def grid(tree, secretary_a):
    return services.grid_create(community=tree.branch_a, name="东一网格", by=secretary_a)


@pytest.fixture
def other_grid(tree, secretary_a):
    return services.grid_create(community=tree.branch_a, name="东二网格", by=secretary_a)


@pytest.fixture
def post(tree, secretary_a):
    return services.post_create(community=tree.branch_a, name="便民利民", by=secretary_a)


@pytest.fixture
def registered_a(member_a, tree, grid, post):
    """member_a reported to branch A's grid."""
    return services.registration_create(
        member=member_a, community=tree.branch_a, grid=grid, post=post, skills="水电维修", by=member_a.user
    )


@pytest.fixture
def registered_b(member_b, tree, grid, post):
    """member_b (of branch B, another unit) reported to branch A's grid too."""
    return services.registration_create(member=member_b, community=tree.branch_a, grid=grid, post=post, by=None)


@pytest.fixture
def new_request(grid):
    request, secret = services.request_create(
        grid=grid, category="daily", text="楼道灯坏了，请帮忙修理", name="赵大妈", phone="13800138000"
    )
    request.secret = secret
    return request
