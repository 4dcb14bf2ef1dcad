"""Chinese first: the committed catalogues are complete and compiled, pages speak Chinese by
default, and the language cookie and the language switch turn them into English and back."""

import ast
import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.helpers import login

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
ZH_PO = LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.po"
EN_PO = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"
CATALOGUES = [ZH_PO, EN_PO]

PLACEHOLDER = re.compile(r"%\([A-Za-z_]\w*\)[sdif]")


@pytest.fixture(autouse=True)
def _no_language_left_behind():
    """LocaleMiddleware activates a language for the thread; later tests start from none."""
    yield
    translation.deactivate()


# --- A tiny .po reader --------------------------------------------------------------------


def po_entries(path):
    """The live entries of a .po file as dicts: msgctxt, msgid, msgid_plural, msgstr (a list,
    one string per plural form) and flags. Obsolete (#~) entries are left out."""
    entries = []
    entry, key = None, None

    def finish():
        if entry is not None and "msgid" in entry:
            entries.append(entry)

    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("#~"):
            continue
        if not line:
            finish()
            entry, key = None, None
            continue
        if entry is None or (line.startswith(("#", "msgctxt", "msgid ")) and entry["msgstr"]):
            finish()  # an entry may follow the previous one without a blank line
            entry, key = {"flags": set(), "msgstr": []}, None
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if key == "msgstr":
                entry["msgstr"][-1] += value
            else:
                entry[key] += value
        else:
            keyword, _, rest = line.partition(" ")
            value = ast.literal_eval(rest)
            if keyword.startswith("msgstr"):
                key = "msgstr"
                entry["msgstr"].append(value)
            else:
                key = keyword
                entry[key] = value
    finish()
    return entries


def message_entries(path):
    return [e for e in po_entries(path) if e["msgid"] != ""]


def header(path):
    return next(e for e in po_entries(path) if e["msgid"] == "")


# --- (a) The Chinese catalogue is complete -----------------------------------------------


def test_po_reader_reads_the_chinese_catalogue():
    entries = {e["msgid"]: e for e in message_entries(ZH_PO)}

    assert len(entries) > 100
    assert entries["Log out"]["msgstr"] == ["退出登录"]
    assert entries["Good day, %(name)s"]["msgstr"] == ["%(name)s，您好"]
    assert "python-format" in entries["API token of %(client)s expires on %(date)s"]["flags"]


def test_chinese_catalogue_has_no_untranslated_entries():
    untranslated = [
        e["msgid"] for e in message_entries(ZH_PO) if not all(s.strip() for s in e["msgstr"])
    ]

    assert untranslated == []


def test_no_catalogue_has_fuzzy_entries():
    fuzzy = [
        (path.parent.parent.name, e["msgid"])
        for path in CATALOGUES
        for e in po_entries(path)
        if "fuzzy" in e["flags"]
    ]

    assert fuzzy == []


def test_chinese_catalogue_has_one_plural_form():
    assert "Plural-Forms: nplurals=1; plural=0;" in header(ZH_PO)["msgstr"][0]
    assert all(len(e["msgstr"]) == 1 for e in message_entries(ZH_PO))


def test_chinese_translations_keep_the_placeholders_of_their_source():
    broken = [
        (e["msgid"], e["msgstr"][0])
        for e in message_entries(ZH_PO)
        if sorted(PLACEHOLDER.findall(e["msgid"])) != sorted(PLACEHOLDER.findall(e["msgstr"][0]))
    ]

    assert broken == []


def test_english_and_chinese_catalogues_hold_the_same_messages():
    def ids(path):
        return {(e.get("msgctxt"), e["msgid"]) for e in message_entries(path)}

    assert ids(ZH_PO) == ids(EN_PO)


# --- (b) The committed .mo files are compiled from the committed .po files ---------------


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parent.parent.name)
def test_committed_mo_matches_its_po(po, tmp_path):
    assert shutil.which("msgfmt"), "gettext's msgfmt is needed (apt-get install gettext)"
    fresh = tmp_path / "django.mo"
    compiled = subprocess.run(
        ["msgfmt", "--check-format", "-o", str(fresh), str(po)],
        capture_output=True,
        text=True,
    )
    assert compiled.returncode == 0, compiled.stderr
    committed = po.with_suffix(".mo")
    assert committed.exists(), f"{committed} is missing: run `make messages`"

    with fresh.open("rb") as f:
        expected = gettext.GNUTranslations(f)._catalog
    with committed.open("rb") as f:
        actual = gettext.GNUTranslations(f)._catalog

    assert set(actual) == set(expected), "the .mo is stale: run `make messages`"
    assert actual == expected, "the .mo is stale: run `make messages`"


# --- (c)–(f) Pages ----------------------------------------------------------------------


@pytest.mark.django_db
def test_home_page_is_chinese_by_default(client, grid_worker):
    login(client, grid_worker)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert ">网格员</small>" in html  # the role, apart from the full name 网格员甲
    assert "退出登录" in html
    assert "首页" in html
    assert "Log out" not in html
    assert "Grid worker" not in html


@pytest.mark.django_db
def test_language_cookie_turns_the_home_page_english(client, grid_worker):
    login(client, grid_worker)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = client.get(reverse("home")).content.decode()

    assert settings.LANGUAGE_COOKIE_NAME == "django_language"
    assert '<html lang="en">' in html
    assert "Log out" in html
    assert ">Grid worker</small>" in html
    assert "退出登录" not in html


@pytest.mark.django_db
def test_language_switch_turns_english_and_back_to_chinese(client, grid_worker):
    login(client, grid_worker)
    home = reverse("home")

    response = client.post(reverse("set_language"), {"language": "en", "next": home})

    assert response.status_code == 302
    assert response.url == home
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = client.get(home).content.decode()
    assert "Log out" in html
    assert "退出登录" not in html

    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": home})

    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    html = client.get(home).content.decode()
    assert "退出登录" in html
    assert "Log out" not in html


@pytest.mark.django_db
def test_login_page_is_chinese():
    response = Client().get(reverse("login"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>登录 · 街道办事处门户</title>" in html
    assert "登录" in html
    assert "用户名" in html
    assert "密码" in html
    assert "Log in" not in html
    assert "Password" not in html


def test_pages_stay_chinese_for_an_english_browser(client):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="zh-hans"' in page
    assert "登录" in page


def test_api_clients_may_ask_for_english(api_client_for, grid_worker):
    response = api_client_for(grid_worker).post(
        reverse("resident-list"), {"name": ""}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.json()["name"] == ["This field may not be blank."]


def test_refusals_and_missing_pages_speak_chinese(client, partner_staff):
    from tests.helpers import login

    login(client, partner_staff)
    refused = client.get(reverse("grids:resident-list"))
    missing = client.get("/no-such-page/")
    assert refused.status_code == 403 and "无权访问" in refused.content.decode()
    assert missing.status_code == 404 and "未找到" in missing.content.decode()
