"""Demo and scale data: the tree and members planned (``plan``) and written with their users
(``seeding``), a year of dues (``dues``) and of activities (``activities``), put together by
``year`` and the ``seed_demo`` command."""
