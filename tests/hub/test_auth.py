"""Authentication on /graphql: tokens and API keys, over HTTP and WebSocket."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import RSAAlgorithm
from neo4j import AsyncGraphDatabase, Driver
from starlette.testclient import TestClient, WebSocketDenialResponse

from hub import auth, db, demo, keys
from hub.access import Role
from hub.app import create_app
from hub.errors import ConfigError, RateLimited, Unauthenticated
from hub.loader import Loader
from hub.settings import Settings
from tests.conftest import bearer

QUERY = '{ person(idNumber: "411623198503120014") { name } }'


@pytest.fixture
def client(graph: Driver, settings: Settings) -> Iterator[TestClient]:
    demo.load(Loader(graph))
    with TestClient(create_app(settings)) as client:
        yield client


def ask(client: TestClient, headers: dict[str, str]) -> Any:
    return client.post("/graphql", json={"query": QUERY}, headers=headers)


def claims(settings: Settings, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "sub": "li.ming",
        "role": "investigator",
        "unit": "U1",
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + 600,
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def signed(settings: Settings, **changes: Any) -> dict[str, str]:
    token = jwt.encode(claims(settings, **changes), auth.secret(settings), algorithm="HS256")
    return {"authorization": f"Bearer {token}"}


def test_a_development_token_is_accepted(client: TestClient, settings: Settings) -> None:
    response = ask(client, bearer(settings))
    assert response.status_code == 200
    assert response.json()["data"]["person"]["name"] == "张伟"


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "bearer token or API key is required"),
        ({"authorization": "Basic dXNlcjpwdw=="}, "must read `Bearer <token>`"),
        ({"authorization": "Bearer not.a.token"}, "the token is not valid"),
        ({"authorization": "Bearer hub_0123456789ab_short"}, "malformed API key"),
    ],
)
def test_missing_or_malformed_credentials_get_401(
    client: TestClient, headers: dict[str, str], message: str
) -> None:
    response = ask(client, headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    error = response.json()["errors"][0]
    assert message in error["message"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"exp": int(time.time()) - 60}, "expired"),
        ({"aud": "another-service"}, "not meant for this hub"),
        ({"iss": "someone-else"}, "not issued by"),
        ({"role": "superuser"}, "role 'superuser' is unknown"),
        ({"exp": None}, "lacks the 'exp' claim"),
        ({"sub": None}, "lacks the 'sub' claim"),
    ],
)
def test_expired_foreign_or_incomplete_tokens_get_401(
    client: TestClient, settings: Settings, changes: dict[str, Any], message: str
) -> None:
    response = ask(client, signed(settings, **changes))
    assert response.status_code == 401
    assert message in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "changes",
    [
        {"exp": str(int(time.time()) + 600)},
        {"exp": "soon"},
        {"exp": True},
        {"iat": str(int(time.time()))},
        {"iat": [1]},
        {"nbf": str(int(time.time()) - 60)},
        {"nbf": {"at": 1}},
    ],
)
def test_a_time_claim_that_is_not_a_number_gets_401(
    client: TestClient, settings: Settings, changes: dict[str, Any]
) -> None:
    response = ask(client, signed(settings, **changes))
    assert response.status_code == 401
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "token" in error["message"]


def test_a_token_accepted_before_is_refused_once_it_expires(
    client: TestClient, settings: Settings
) -> None:
    # The API remembers tokens it has checked; it must still honour their `exp`.
    expires = int(time.time()) + 2
    headers = signed(settings, exp=expires)
    assert ask(client, headers).status_code == 200
    assert ask(client, headers).status_code == 200
    time.sleep(max(0.0, expires - time.time()) + 0.1)
    response = ask(client, headers)
    assert response.status_code == 401
    assert "expired" in response.json()["errors"][0]["message"]


def test_a_token_signed_with_another_secret_gets_401(
    client: TestClient, settings: Settings
) -> None:
    token = jwt.encode(claims(settings), b"x" * 48, algorithm="HS256")
    response = ask(client, {"authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "Signature verification failed" in response.json()["errors"][0]["message"]


def test_a_none_algorithm_token_gets_401(client: TestClient, settings: Settings) -> None:
    token = jwt.encode(claims(settings, role="admin"), None, algorithm="none")
    assert ask(client, {"authorization": f"Bearer {token}"}).status_code == 401


def test_with_a_public_key_only_the_providers_es256_tokens_pass(
    graph: Driver, settings: Settings, tmp_path: Path
) -> None:
    demo.load(Loader(graph))
    private = ec.generate_private_key(ec.SECP256R1())
    pem = tmp_path / "provider.pem"
    pem.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    production = dataclasses.replace(settings, jwt_public_key=pem)
    with TestClient(create_app(production)) as client:
        token = jwt.encode(claims(settings), private, algorithm="ES256")
        assert ask(client, {"authorization": f"Bearer {token}"}).status_code == 200
        # An HS256 token signed with the local secret is no longer accepted.
        assert ask(client, bearer(settings)).status_code == 401
    with pytest.raises(Exception, match="hub token` signs with HUB_JWT_SECRET"):
        auth.issue(production, "x", Role.admin)


def test_an_api_key_works_until_it_is_revoked(
    client: TestClient, graph: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keys, "CACHE_SECONDS", 0.0)
    new = keys.create(graph, "fraud dashboard", Role.analyst, None)
    stored = graph.execute_query("MATCH (k:ApiKey) RETURN k.hash AS hash").records[0]["hash"]
    assert new.key not in stored and stored.startswith("$argon2id$")
    headers = {"authorization": f"Bearer {new.key}"}
    assert ask(client, headers).status_code == 200
    wrong = {"authorization": f"Bearer {new.key[:-4]}AAAA"}
    assert ask(client, wrong).json()["errors"][0]["message"] == keys.REFUSED
    assert [k["key_id"] for k in keys.listed(graph)] == [new.key_id]
    assert keys.revoke(graph, new.key_id)
    response = ask(client, headers)
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == keys.REFUSED
    assert not keys.revoke(graph, "000000000000")


@contextlib.contextmanager
def from_address(client: TestClient, address: str) -> Iterator[TestClient]:
    """The client, its requests coming from `address` for a while (the peer's address
    the hub counts failed logins by)."""
    transport = client._transport  # type: ignore[attr-defined]
    was = transport.client
    transport.client = (address, 50000)
    try:
        yield client
    finally:
        transport.client = was


def told(client: TestClient, key: str) -> tuple[tuple[int, str], float]:
    started = time.perf_counter()
    response = ask(client, {"authorization": f"Bearer {key}"})
    return (response.status_code, response.json()["errors"][0]["message"]), (
        time.perf_counter() - started
    )


def alike(times: list[float], others: list[float]) -> bool:
    """About the same time: the quickest of each apart by less than half a hash check,
    so one that checks a hash is told from one that does not."""
    started = time.perf_counter()
    with contextlib.suppress(Exception):
        keys._hasher.verify(keys._decoy(), "hub_guess")
    check = time.perf_counter() - started
    return abs(min(times) - min(others)) < check / 2


def shape(answer: tuple[int, str]) -> tuple[int, str]:
    """An answer with its seconds to wait left out (they count the time gone by)."""
    return answer[0], re.sub(r"\d+", "N", answer[1])


def test_an_unknown_key_id_and_a_wrong_secret_are_told_apart_by_nothing(
    client: TestClient, graph: Driver
) -> None:
    """Wrong secrets of a real key id and of an unknown one, each from its own address,
    are answered alike request by request, the same 401s and then the same 429s, in
    about the same time; and from an address throttled for failing to log in, too."""
    new = keys.create(graph, "fraud dashboard", Role.analyst, None)
    wrong_secret = f"{new.key[:-4]}AAAA"
    unknown_id = f"hub_{'0' * 12}_{new.key[len('hub_') + 13 :]}"  # the same secret
    rounds = keys.FAILURES_PER_MINUTE + 4
    real, fake = [], []
    for _ in range(rounds):  # in turn, so that the machine's load weighs on both alike
        with from_address(client, "192.0.2.1"):
            real.append(told(client, wrong_secret))
        with from_address(client, "192.0.2.2"):
            fake.append(told(client, unknown_id))
    for answers in (real, fake):  # counted alike: a minute's budget (and what refilled)
        statuses = [status for (status, _), _ in answers]
        assert statuses[: keys.FAILURES_PER_MINUTE] == [401] * keys.FAILURES_PER_MINUTE
        assert statuses[-2:] == [429, 429] and statuses == sorted(statuses)
        assert {shape(a)[1] for a, _ in answers} == {
            keys.REFUSED,
            "too many requests: try again in N s",
        }
    # Both check a hash while they are counted, neither once refused.
    assert alike(
        [t for (status, _), t in real if status == 401],
        [t for (status, _), t in fake if status == 401],
    )
    assert alike(
        [t for (status, _), t in real if status == 429],
        [t for (status, _), t in fake if status == 429],
    )
    # An address past its failed logins: a real key id is refused as an unknown one is.
    with from_address(client, "192.0.2.3"):
        for _ in range(100):
            if ask(client, {"authorization": "Bearer hub_x"}).status_code == 429:
                break
        both = [told(client, key) for key in (wrong_secret, unknown_id) * 3]
    assert {shape(a) for a, _ in both} == {(429, "too many requests: try again in N s")}
    assert alike([t for _, t in both[0::2]], [t for _, t in both[1::2]])


def test_a_token_of_an_algorithm_the_key_cannot_check_gets_401_audited(
    graph: Driver, settings: Settings, tmp_path: Path
) -> None:
    demo.load(Loader(graph))
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp_path / "provider.pem"
    pem.write_bytes(
        rsa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    ec_key = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(claims(settings), ec_key, algorithm="ES256")
    with TestClient(create_app(dataclasses.replace(settings, jwt_public_key=pem))) as client:
        response = ask(client, {"authorization": f"Bearer {token}"})
        client.app.state.trail.flush()  # type: ignore[attr-defined]
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    (event,) = graph.execute_query(
        "MATCH (e:AuditEvent {action: 'login'}) RETURN e.outcome AS outcome, e.reason AS reason"
    ).records
    assert event["outcome"] == "denied" and "cannot be checked" in event["reason"]


def test_a_token_valid_for_longer_than_the_maximum_is_refused(
    client: TestClient, settings: Settings
) -> None:
    now = int(time.time())
    century = signed(settings, iat=now, exp=now + 100 * 365 * 86400)
    response = ask(client, century)
    assert response.status_code == 401
    assert "HUB_MAX_TOKEN_TTL" in response.json()["errors"][0]["message"]
    no_iat = signed(settings, iat=None, exp=now + settings.max_token_ttl + 600)
    assert ask(client, no_iat).status_code == 401
    assert ask(client, signed(settings, exp=now + settings.max_token_ttl - 60)).status_code == 200


@pytest.mark.parametrize("ttl", [-5, 0, 10**9])
def test_hub_token_issues_no_token_it_would_refuse(settings: Settings, ttl: int) -> None:
    with pytest.raises(ConfigError, match="HUB_MAX_TOKEN_TTL"):
        auth.issue(settings, "wang", Role.investigator, ttl=ttl)


def test_a_websocket_with_a_bad_token_is_refused_with_401(
    client: TestClient,
) -> None:
    with (
        pytest.raises(WebSocketDenialResponse) as refused,
        client.websocket_connect(
            "/graphql",
            subprotocols=["graphql-transport-ws"],
            headers={"authorization": "Bearer nonsense"},
        ),
    ):
        pass
    assert refused.value.status_code == 401


def ws_query(client: TestClient, payload: dict[str, Any]) -> dict[str, Any]:
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": payload})
        message = ws.receive()
        if message["type"] == "websocket.close":
            return {"closed": message["code"]}
        assert json.loads(message["text"])["type"] == "connection_ack"
        ws.send_json({"type": "subscribe", "id": "1", "payload": {"query": QUERY}})
        return dict(ws.receive_json())


def test_a_websocket_authenticates_in_connection_init(
    client: TestClient, settings: Settings
) -> None:
    refused = ws_query(client, {})
    assert refused["closed"] == 4403
    answer = ws_query(client, {"authorization": bearer(settings)["authorization"]})
    assert answer["type"] == "next"
    assert answer["payload"]["data"]["person"]["name"] == "张伟"


def test_with_a_jwks_document_tokens_of_its_keys_pass(graph: Driver, settings: Settings) -> None:
    demo.load(Loader(graph))
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    document = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]})

    class Provider(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(document.encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Provider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/jwks.json"
        with TestClient(create_app(dataclasses.replace(settings, jwt_jwks_url=url))) as client:
            good = jwt.encode(claims(settings), private, algorithm="RS256", headers={"kid": "k1"})
            assert ask(client, {"authorization": f"Bearer {good}"}).status_code == 200
            stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            bad = jwt.encode(claims(settings), stranger, algorithm="RS256", headers={"kid": "k1"})
            assert ask(client, {"authorization": f"Bearer {bad}"}).status_code == 401
            unknown = jwt.encode(
                claims(settings), private, algorithm="RS256", headers={"kid": "k9"}
            )
            response = ask(client, {"authorization": f"Bearer {unknown}"})
            assert response.status_code == 401
            assert "signing key is not known" in response.json()["errors"][0]["message"]
    finally:
        server.shutdown()
        server.server_close()


def test_only_the_graphiql_page_itself_is_served_without_a_token(client: TestClient) -> None:
    page = client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    sneaky = client.get("/graphql", params={"query": QUERY}, headers={"accept": "text/html"})
    assert sneaky.status_code == 401


def test_guessing_a_keys_secret_is_slowed_while_its_owner_carries_on(
    client: TestClient, graph: Driver
) -> None:
    """A guesser's wrong secrets hold up the guesser's address only: the key's owner,
    whose key this process has never checked, gets in from theirs."""
    new = keys.create(graph, "fraud dashboard", Role.analyst, None)
    owner = {"authorization": f"Bearer {new.key}"}
    guesses: list[int] = []
    with from_address(client, "198.51.100.7"):
        while 429 not in guesses and len(guesses) < 4 * keys.FAILURES_PER_MINUTE:
            guess = {"authorization": f"Bearer {new.key[:-6]}{len(guesses):06d}"}
            guesses.append(ask(client, guess).status_code)
        # A minute's budget of wrong secrets (and what refilled while they were checked),
        # then no secret of the key is checked for that address for now, the right one
        # neither.
        assert guesses[-1] == 429
        assert guesses[: keys.FAILURES_PER_MINUTE] == [401] * keys.FAILURES_PER_MINUTE
        assert ask(client, owner).status_code == 429
    with from_address(client, "203.0.113.5"):
        assert ask(client, owner).status_code == 200
    assert ask(client, owner).status_code == 200


def test_a_flood_of_bad_keys_is_checked_one_at_a_time_and_past_a_few_refused_at_once(
    graph: Driver, settings: Settings
) -> None:
    """Bad keys wait for one hash check at a time, those beyond the few waiting are
    refused without one, and a user with a token is answered meanwhile."""

    async def flood() -> tuple[Any, int, list[Any]]:
        uri, credentials = db.credentials(settings)
        async with AsyncGraphDatabase.driver(uri, auth=credentials) as driver:
            authenticator = auth.Authenticator(settings, driver)
            bad = [
                asyncio.create_task(
                    authenticator.authenticate(f"Bearer hub_{i:012x}_{'x' * 43}", f"192.0.2.{i}")
                )
                for i in range(3 * keys.HASHES_WAITING)
            ]
            await asyncio.sleep(0)  # every bad key has arrived
            valid = await authenticator.authenticate(
                bearer(settings)["authorization"], "192.0.2.99"
            )
            waiting = sum(not task.done() for task in bad)
            return valid, waiting, await asyncio.gather(*bad, return_exceptions=True)

    valid, waiting, refusals = asyncio.run(flood())
    assert valid.user == "tester"
    assert waiting >= 1  # the token was answered while bad keys still waited for the hasher
    checked = [r for r in refusals if isinstance(r, Unauthenticated)]
    assert [str(r) for r in checked] == [keys.REFUSED] * keys.HASHES_WAITING
    assert all(isinstance(r, RateLimited) for r in refusals[keys.HASHES_WAITING :])


# Query strings of a browser's GET of /graphql, as sent (percent-encoded or not), and
# whether strawberry reads a `query` parameter in them: one that does runs GraphQL.
SPELLINGS = [
    ("query={__typename}", True),
    ("%71uery={__typename}", True),
    ("%71%75%65%72%79=%7B__typename%7D", True),
    ("q%75er%79={__typename}", True),
    ("x=1&%71uery={__typename}", True),
    ("query", True),
    ("query=", True),
    ("%71uery=&variables=%7B%7D", True),
    ("Query={__typename}", False),  # no parameter strawberry reads: the page
    ("x=1;query={__typename}", False),  # one parameter, x, holding the rest
    ("", False),
]


@pytest.mark.parametrize(("spelt", "runs"), SPELLINGS)
def test_the_graphiql_page_is_the_only_thing_served_without_a_token(
    client: TestClient, spelt: str, runs: bool
) -> None:
    """However its parameters are spelt, a GET that would run GraphQL needs credentials;
    one that gets the page runs nothing."""
    from starlette.datastructures import QueryParams

    assert ("query" in QueryParams(spelt)) == runs  # as the app decodes them
    answer = client.get(f"/graphql?{spelt}", headers={"accept": "text/html"})
    if runs:
        assert answer.status_code == 401, answer.text
    else:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/html")
        assert "graphiql" in answer.text.lower() and '"data"' not in answer.text


def test_gets_without_a_token_count_as_failed_logins(client: TestClient, graph: Driver) -> None:
    statuses = [
        client.get("/graphql?%71uery={__typename}", headers={"accept": "text/html"}).status_code
        for _ in range(25)
    ]
    assert statuses == [401] * 20 + [429] * 5
    client.app.state.trail.flush()  # type: ignore[attr-defined]
    records = graph.execute_query("MATCH (e:AuditEvent) RETURN e.action AS a, e.role AS r").records
    assert {(r["a"], r["r"]) for r in records} == {("login", "")}


def test_no_graphql_runs_for_an_anonymous_principal(graph: Driver, settings: Settings) -> None:
    """Behind the gate, the schema refuses anyone without credentials every field, even
    __typename and introspection."""
    from hub import ids
    from hub.auth import ANONYMOUS
    from resolvers.context import Context
    from resolvers.schema import schema

    async def run(query: str) -> Any:
        uri, credentials = db.credentials(settings)
        async with AsyncGraphDatabase.driver(uri, auth=credentials) as driver:
            context = Context(
                settings=settings, driver=driver, ids=ids.codec(settings), principal=ANONYMOUS
            )
            return await schema.execute(query, context_value=context)

    for query in ("{ __typename }", "{ __schema { queryType { name } } }", QUERY):
        result = asyncio.run(run(query))
        assert result.data is None, query
        assert [e.extensions["code"] for e in result.errors] == ["UNAUTHENTICATED"], query
