"""gunicorn settings for one xinbao app server (one per core is a good start).

Every setting can be overridden from the environment, so one file serves every machine:
``XINBAO_BIND`` (default 127.0.0.1:8001), ``XINBAO_WORKERS`` (default 2), ``XINBAO_THREADS``.
The app keeps no state in the process (sessions and data in the database, cache and rate limits
in Redis), so any number of these can run behind nginx.
"""

import os

bind = os.environ.get("XINBAO_BIND", "127.0.0.1:8001")
# gunicorn's control socket would be one file in the user's home shared by every instance on the
# machine; systemd (reload = HUP) is the control interface here.
control_socket_disable = True
workers = int(os.environ.get("XINBAO_WORKERS", "2"))
threads = int(os.environ.get("XINBAO_THREADS", "4"))
worker_class = "gthread"
# Word/PDF exports run in the background; a request that takes this long is a fault.
timeout = int(os.environ.get("XINBAO_REQUEST_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Restart workers now and then so a slow leak never grows into an outage.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%({x-request-id}i)s"'
# nginx in front sets X-Forwarded-Proto; trust it only from the local proxy.
forwarded_allow_ips = os.environ.get("XINBAO_FORWARDED_ALLOW_IPS", "127.0.0.1")
