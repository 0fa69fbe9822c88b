"""The benchmark posts forms as a browser would: the fields of the page's main form, as filled."""

from partnerships.devtools.documents_wait import form_fields

PAGE = """
<form method="post" action="/i18n/setlang/"><input type="hidden" name="next" value="/"></form>
<form method="post" class="card">
  <input type="hidden" name="csrfmiddlewaretoken" value="token">
  <input type="text" name="title" value="Tiếp nhận lao động &amp; học nghề">
  <input type="checkbox" name="consent" value="on">
  <input type="checkbox" name="public" value="on" checked>
  <select name="kind"><option value="">---</option><option value="job">Việc làm</option></select>
  <select name="authority"><option value="1">A</option>
    <option value="4" selected>B</option></select>
  <select name="groups" multiple><option value="1" selected>x</option><option value="2">y</option>
    <option value="5" selected>z</option></select>
  <select name="none" multiple><option value="1">x</option></select>
  <textarea name="notes">
Dữ liệu minh họa</textarea>
  <template><input name="pledges-__prefix__-kind" value="x"></template>
  <button type="submit" name="go" value="save">Lưu</button>
</form>
"""


def test_it_reads_the_main_form_as_a_browser_would_submit_it():
    assert form_fields(PAGE) == {
        "csrfmiddlewaretoken": ["token"],
        "title": ["Tiếp nhận lao động & học nghề"],
        "public": ["on"],
        "kind": [""],
        "authority": ["4"],
        "groups": ["1", "5"],
        "notes": ["Dữ liệu minh họa"],
    }
