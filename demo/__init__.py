"""Demo and scale data: the tree, members and users (``seeding``), a year of dues (``dues``) and of
activities (``activities``), put together by ``year`` and the ``seed_demo`` command."""
