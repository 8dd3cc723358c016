"""``deploy/production.py``'s parts: nginx's configuration (``config``), the unprivileged user the
servers run as when started as root (``users``), starting and stopping both servers (``supervision``),
and the command line (``cli``)."""
