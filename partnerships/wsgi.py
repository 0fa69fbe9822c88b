import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerships.settings")
application = get_wsgi_application()

# With DEBUG off and no mail server, refuse to serve rather than lose signing links.
from partnerships.core.checks import refuse_to_start_without_mail  # noqa: E402

refuse_to_start_without_mail()
