"""The view tests' client checks CSRF as production does: a post without the token is refused
loudly, and a form on a page without {% csrf_token %} fails the test that submits it."""

import re

import pytest
from django.urls import reverse

from partnerships.models import Mou
from tests.factories import mou_form_data
from tests.factories.web import CsrfRejected, form_token


def test_a_post_without_the_token_is_refused(client_as, world):
    data = mou_form_data(authority=world.ben_luc, partner=world.garment)
    with pytest.raises(CsrfRejected, match="CSRF"):
        client_as(world.staff).post(reverse("mou_create"), data)
    assert list(Mou.objects.all()) == [world.mou]


def test_the_same_post_from_the_form_goes_through(client_as, world):
    data = mou_form_data(authority=world.ben_luc, partner=world.garment)
    response = client_as(world.staff).submit(reverse("mou_create"), data)
    assert response.status_code == 302
    assert Mou.objects.count() == 2


def test_a_form_without_the_token_is_found_out():
    page = '<form method="post" action="/mous/1/send/"><button>Send</button></form>'
    with pytest.raises(AssertionError, match=re.escape("has no {% csrf_token %}")):
        form_token("/mous/1/", page, "/mous/1/send/")
    with pytest.raises(AssertionError, match="has no form that posts to /mous/1/cancel/"):
        form_token("/mous/1/", page, "/mous/1/cancel/")
