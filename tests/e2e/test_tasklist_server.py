"""The task list page as a deployment serves it: over HTTPS, behind --auth-file, in a
real browser (headless Chromium, Debian's package) signed in with the browser's own
HTTP Basic credentials; the user named by them, and their groups from the auth file."""

from __future__ import annotations

import base64
import hashlib
import ssl
from collections.abc import Iterator
from typing import TYPE_CHECKING

import bcrypt
import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.e2e.browser import chromium
from tests.e2e.server import Server, running_server
from tests.e2e.tasklist_browser import PageWatch

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.e2e

ANN = {"username": "ann", "password": "ann's s3cret"}


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def certificate(authority: trustme.CA) -> trustme.LeafCert:
    return authority.issue_cert("127.0.0.1", "localhost")


@pytest.fixture(scope="module")
def browser(certificate: trustme.LeafCert) -> Iterator[Browser]:
    """A browser that trusts this server's key alone (not every certificate): Chromium's
    trust store is the system's, which a test must not change."""
    leaf = x509.load_pem_x509_certificate(certificate.cert_chain_pems[0].bytes())
    key = leaf.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    pin = base64.b64encode(hashlib.sha256(key).digest()).decode()
    with chromium([f"--ignore-certificate-errors-spki-list={pin}"]) as browser:
        yield browser


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    authority: trustme.CA,
    certificate: trustme.LeafCert,
) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("tasklist-server")
    certfile, keyfile = directory / "server.pem", directory / "server.key"
    for number, pem in enumerate(certificate.cert_chain_pems):
        pem.write_to_path(str(certfile), append=number > 0)
    certificate.private_key_pem.write_to_path(str(keyfile))
    cheap = bcrypt.gensalt(rounds=4)  # fast for tests
    users = directory / "users"
    users.write_text(
        f"ann:{bcrypt.hashpw(ANN['password'].encode(), cheap).decode()}:sales,accounting\n"
        f"bob:{bcrypt.hashpw(b'other', cheap).decode()}:accounting\n"
    )
    trusting = ssl.create_default_context()
    authority.configure_trust(trusting)
    arguments = ["--auth-file", str(users)]
    arguments += ["--ssl-certfile", str(certfile), "--ssl-keyfile", str(keyfile)]
    database = f"sqlite:///{directory / 'db'}"
    with running_server(database, directory, *arguments, client_ssl=trusting) as server:
        yield server


def page_url(server: Server) -> str:
    assert server.base_url.startswith("https://")
    return server.base_url.removesuffix("/engine-rest") + "/tasklist/"


def test_the_page_signs_in_with_the_browsers_credentials_and_knows_their_groups(
    browser: Browser, server: Server
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(http_credentials=ANN)
    page = context.new_page()
    watch = PageWatch(page)
    with page.expect_response(lambda answer: "/identity/groups?" in answer.url) as groups:
        page.goto(page_url(server))
    assert groups.value.ok
    assert groups.value.json()["groups"] == [
        {"id": "accounting", "name": "accounting"},
        {"id": "sales", "name": "sales"},
    ]
    expect(page.get_by_role("banner")).to_contain_text("Signed in as ann")
    # Signed in by the browser: nobody is asked who they are.
    assert page.get_by_text("Who are you?").count() == 0
    assert page.get_by_role("button", name="Work as").count() == 0
    context.close()
    watch.assert_clean()


def test_without_credentials_the_page_is_refused_and_asks_for_them(
    browser: Browser, server: Server
) -> None:
    from playwright.sync_api import Error as PlaywrightError

    context = browser.new_context()
    page = context.new_page()
    url = page_url(server)
    # The browser asks the person at it; headless, nobody answers and the load fails.
    with page.expect_response(url) as answer, pytest.raises(PlaywrightError):
        page.goto(url)
    assert answer.value.status == 401
    assert answer.value.headers["www-authenticate"] == 'Basic realm="taskvars"'
    context.close()


def test_wrong_credentials_are_refused(browser: Browser, server: Server) -> None:
    context = browser.new_context(http_credentials={"username": "ann", "password": "wrong"})
    page = context.new_page()
    # Refused again, the browser gives up and shows the refusal.
    answer = page.goto(page_url(server))
    assert answer is not None
    assert answer.status == 401
    assert page.get_by_role("banner").count() == 0
    context.close()
