"""gunicorn's settings for partysite in production, read from the project's directory.

    gunicorn partysite.wsgi        # from this directory: gunicorn reads ./gunicorn.conf.py itself

Threaded workers (``gthread``): two processes per CPU, two threads each. A request of the site
waits on PostgreSQL and Redis several times (the phone's check-in up to three times), and a thread
waiting lets another run; but more threads per process fight over the interpreter's lock,
and every wait then costs a hand-over. On two CPUs, 4 workers × 2 threads checked members in
about 5% faster than 4 × 4, with the bare insert unchanged (docs/PERFORMANCE.md, "Register"). ``bench/checkin.py`` serves with these same numbers unless told others.

``WEB_CONCURRENCY`` (gunicorn's own variable) sets the number of workers, ``GUNICORN_THREADS``
the threads of each, ``GUNICORN_BIND`` the address (behind the reverse proxy that serves HTTPS).
"""

import os

worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1))
threads = int(os.environ.get("GUNICORN_THREADS") or 2)
bind = os.environ.get("GUNICORN_BIND") or "127.0.0.1:8000"
keepalive = 30  # phones keep their connection across the check-in page and its request
timeout = 60
