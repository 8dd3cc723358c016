"""gunicorn settings for the web service: ``gunicorn -c gunicorn.conf.py skill.web.wsgi:app``.

Put TLS in front (a reverse proxy or load balancer): Alexa only calls https endpoints with a
trusted certificate. Every setting can be overridden on the command line or via the env below.
"""

import os

# Where to listen. Loopback by default so the service is reached through the TLS proxy;
# set HOST=0.0.0.0 (or BIND=host:port) to listen on every interface.
bind = os.environ.get("BIND") or f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"

# Two processes, each with a few threads: requests are short and mostly CPU (signature check and
# dispatch), and threads share each process's certificate cache.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("THREADS", "4"))

# Alexa gives up after 8 seconds, so a request still running at 30 s is stuck: restart its worker.
timeout = 30
graceful_timeout = 10
keepalive = 5

# Refuse oversized request lines and headers early (the app caps the body at 128 KiB). Alexa sends a
# short request line and a handful of headers, the longest its signatures at under 700 characters, so
# these are a quarter to a half of gunicorn's defaults (4094, 100 and 8190) with room for a proxy's.
limit_request_line = 1024
limit_request_fields = 50
limit_request_field_size = 4096

# Log to stdout/stderr for the process supervisor; the access log shows method, path and status only
# (no bodies, so no user or device IDs).
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(L)ss'

# gunicorn 27's control socket lives in $HOME and collides between instances; nothing here uses it.
control_socket_disable = True
