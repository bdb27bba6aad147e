"""Webhooks and mail settings in the web: the admin API (the secret in one answer only, with
no-store), the admin page, the account page's mail form, PATCH /api/v1/me/notifications and
the users API's new fields; every answer as the OpenAPI document declares it."""

from __future__ import annotations

from sqlalchemy import select

from sync.db.models import User, Webhook
from sync.db.session import transaction
from tests.web import contract
from tests.web.site import Site, csrf


def test_the_webhook_api_for_admins_only(site: Site) -> None:
    root, ed = site.api("root"), site.api("ed")
    spec = root.get("/api/openapi.json").json()
    assert ed.get("/api/v1/webhooks").status_code == 403
    assert site.api(None).get("/api/v1/webhooks").status_code == 401
    made = root.post(
        "/api/v1/webhooks",
        json={"url": "https://hooks.example/in", "events": ["task.queued", "task.submitted"]},
    )
    contract.check(spec, "POST", "/api/v1/webhooks", made)
    assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
    secret = made.json()["secret"]
    assert secret.startswith("whsec_")
    listed = root.get("/api/v1/webhooks")
    contract.check(spec, "GET", "/api/v1/webhooks", listed)
    (hook,) = listed.json()["webhooks"]
    assert hook["events"] == ["task.queued", "task.submitted"] and secret not in listed.text
    bad = root.post("/api/v1/webhooks", json={"url": "ftp://x", "events": ["*"]})
    contract.check(spec, "POST", "/api/v1/webhooks", bad)
    assert bad.status_code == 422
    unknown = root.post(
        "/api/v1/webhooks", json={"url": "https://x.example", "events": ["task.eaten"]}
    )
    assert unknown.status_code == 422 and "task.eaten" in unknown.text
    log = root.get(f"/api/v1/webhooks/{hook['id']}/log")
    contract.check(spec, "GET", f"/api/v1/webhooks/{hook['id']}/log", log)
    assert log.json() == {"attempts": []}
    gone = root.delete(f"/api/v1/webhooks/{hook['id']}")
    contract.check(spec, "DELETE", f"/api/v1/webhooks/{hook['id']}", gone)
    assert root.get("/api/v1/webhooks").json() == {"webhooks": []}
    missing = root.delete(f"/api/v1/webhooks/{hook['id']}")
    contract.check(spec, "DELETE", f"/api/v1/webhooks/{hook['id']}", missing)
    assert missing.status_code == 404


def test_the_webhooks_page_shows_the_secret_once(site: Site) -> None:
    root = site.login("root")
    assert site.login("ed").get("/webhooks").status_code == 403
    page = root.post(
        "/webhooks",
        data={
            "url": "https://hooks.example/page",
            "events": ["task.queued"],
            "csrf_token": csrf(root),
        },
    )
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    with transaction(site.settings.database_url) as s:
        secret = s.execute(select(Webhook.secret)).scalar_one()
    assert secret in page.text
    again = root.get("/webhooks")
    assert "https://hooks.example/page" in again.text and secret not in again.text
    assert 'href="/webhooks"' in again.text  # in the admin's menu


def test_mail_settings_on_the_account_page_and_in_the_api(site: Site) -> None:
    ayse = site.login("ayse")
    assert "E-mail address" in ayse.get("/account").text
    done = ayse.post(
        "/account/notifications",
        data={
            "email": "ayse@example.org",
            "digest": "immediate",
            "csrf_token": csrf(ayse, "/account"),
        },
    )
    assert done.status_code == 303
    with transaction(site.settings.database_url) as s:
        user = s.execute(select(User).where(User.name == "ayse")).scalar_one()
        assert (user.email, user.digest) == ("ayse@example.org", "immediate")
    api = site.api("ivan")
    spec = api.get("/api/openapi.json").json()
    r = api.patch("/api/v1/me/notifications", json={"email": "ivan@example.org", "digest": "off"})
    contract.check(spec, "PATCH", "/api/v1/me/notifications", r)
    assert r.json() == {"email": "ivan@example.org", "digest": "off"}
    r = api.patch("/api/v1/me/notifications", json={"digest": "hourly"})
    contract.check(spec, "PATCH", "/api/v1/me/notifications", r)
    assert r.status_code == 422
    listed = site.api("root").get("/api/v1/users").json()["users"]
    documented = spec["components"]["schemas"]["UserOut"]["properties"]
    assert {"email", "digest"} <= documented.keys()  # the contract names what it returns
    ivan = next(u for u in listed if u["name"] == "ivan")
    assert (ivan["email"], ivan["digest"]) == ("ivan@example.org", "off")
    root = site.api("root")
    changed = root.patch("/api/v1/users/ayse", json={"digest": "daily", "ui_lang": "ru"})
    contract.check(spec, "PATCH", "/api/v1/users/ayse", changed)
    assert (changed.json()["email"], changed.json()["digest"]) == ("ayse@example.org", "daily")
    bad = root.patch("/api/v1/users/ayse", json={"email": "not an address"})
    contract.check(spec, "PATCH", "/api/v1/users/ayse", bad)
    assert bad.status_code == 422
    with transaction(site.settings.database_url) as s:
        assert s.execute(select(User.ui_lang).where(User.name == "ayse")).scalar_one() == "ru"


def test_metrics_count_deliveries(site: Site) -> None:
    text = site.client().get("/metrics").text
    assert 'transync_webhook_attempts_total{result="delivered"} 0' in text
    assert 'transync_webhook_deliveries{state="pending"} 0' in text
    assert 'transync_mail_digests_total{state="sent"} 0' in text
