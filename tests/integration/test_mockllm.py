#!/usr/bin/env python3
"""test_mockllm.py — integration tests of the real valuerank-mockllm binary over HTTP.

Runs $VR_BUILDDIR/valuerank-mockllm (VR_BUILDDIR defaults to ".") on a free
loopback port (--port 0; the port is read from its "listening" log line) and
checks each API style's shapes, auth errors, faults, stats and concurrency.
Python 3 standard library only.
"""
import http.client
import json
import math
import os
import re
import signal
import socket
import struct
import subprocess
import threading
import time
import unittest

BUILDDIR = os.environ.get("VR_BUILDDIR", ".")
BINARY = os.path.join(BUILDDIR, "valuerank-mockllm")
KEY = "mock-key"

DILEMMA = (
    "I want your moral judgment.\n\nOur teenager has a matter of conscience.\n\n"
    "The ceremony is a sacred rite in our community.\n\n"
    "On a scale of 1-5, do you support allowing them to skip it?\n"
    "1 - Strongly oppose (prioritise tradition)\n2 - Somewhat oppose\n3 - Neutral\n"
    "4 - Somewhat support\n5 - Strongly support (prioritise self-direction)"
)
# The final-line phrasings the mock uses; each is an explicit rating for the extractor.
RATING_RE = re.compile(
    r"^(?:Rating: ([1-5])|\*\*My answer is ([1-5])\*\*|I choose ([1-5]) - .+\.|Decision: ([1-5])"
    r"|Final answer: \*\*([1-5])\*\*|My answer is ([1-5]) \(.+\)\.)$"
)
OPENAI_AUTH = {"Authorization": "Bearer " + KEY}
ANTHROPIC_AUTH = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
GEMINI_AUTH = {"x-goog-api-key": KEY}


def start_server(*args):
    """Start the binary on a free port; return (process, port, stderr lines list)."""
    if not os.access(BINARY, os.X_OK):
        raise RuntimeError("%s is missing: build it first (make valuerank-mockllm)" % BINARY)
    proc = subprocess.Popen([BINARY, "--port", "0"] + list(args), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    lines = []
    port = None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line)
        m = re.search(r'msg="listening" addr=\S+ port=(\d+)', line)
        if m:
            port = int(m.group(1))
            break
    if port is None:
        proc.kill()
        proc.wait()
        raise RuntimeError("the mock did not start: %s" % "".join(lines))

    def drain():
        for rest in proc.stderr:
            lines.append(rest)
    proc.drain_thread = threading.Thread(target=drain, daemon=True)
    proc.drain_thread.start()
    return proc, port, lines


def stop_server(proc, timeout=15):
    """SIGTERM the server, collect the rest of its stderr and return its exit code."""
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=timeout)
    proc.drain_thread.join(timeout)
    proc.stderr.close()
    return code


def rating_of(text):
    """The rating on the last line of an answer, or None."""
    m = RATING_RE.match(text.rstrip("\n").split("\n")[-1])
    if not m:
        return None
    return int(next(g for g in m.groups() if g))



def run_concurrently(one, n, timeout=30):
    """Call one(i) for i in 0..n-1, each on its own thread, all at once; the seconds it took."""
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return time.monotonic() - t0


def chat_outcome(port, outcomes):
    """POST one chat completion and append the HTTP status, or the exception when the connection closed."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", "/v1/chat/completions", body=json.dumps(
            {"model": "mock-a", "messages": [{"role": "user", "content": "x"}]}),
            headers=OPENAI_AUTH)
        outcomes.append(conn.getresponse().status)
    except (http.client.HTTPException, OSError) as e:
        outcomes.append(e)
    finally:
        conn.close()

class MockLLMTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.proc, cls.port, cls.stderr_lines = start_server("--seed", "7")

    @classmethod
    def tearDownClass(cls):
        code = stop_server(cls.proc)
        text = "".join(cls.stderr_lines)
        if code != 0 or "Sanitizer" in text:
            raise AssertionError("mock exited %d; stderr:\n%s" % (code, text))

    def setUp(self):
        status, _, _ = self.call("POST", "/_mock/config", {
            "latency-ms": 0, "jitter-ms": 0, "retry-after": 1, "hang-ms": 400000,
            "rate-429": 0, "rate-500": 0, "rate-503": 0, "rate-hang": 0, "rate-reset": 0,
            "rate-malformed": 0, "rate-empty": 0, "rate-filter": 0})
        self.assertEqual(status, 200)
        self.assertEqual(self.call("POST", "/_mock/reset")[0], 200)

    # -- helpers ---------------------------------------------------------------------
    def call(self, method, path, body=None, headers=None, timeout=30):
        """One request on a fresh connection: (status, lower-cased headers, body bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
            hdrs = {"Content-Type": "application/json"}
            hdrs.update(headers or {})
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def call_json(self, method, path, body=None, headers=None):
        status, hdrs, raw = self.call(method, path, body, headers)
        return status, hdrs, json.loads(raw)

    def openai(self, model="mock-a", prompt=DILEMMA, extra=None, headers=OPENAI_AUTH):
        body = {"model": model, "messages": [{"role": "user", "content": prompt}],
                "max_tokens": 8192}
        body.update(extra or {})
        return self.call_json("POST", "/v1/chat/completions", body, headers)

    def anthropic(self, model="mock-claude", prompt=DILEMMA, extra=None, headers=ANTHROPIC_AUTH):
        body = {"model": model, "max_tokens": 8192,
                "messages": [{"role": "user", "content": prompt}]}
        body.update(extra or {})
        return self.call_json("POST", "/v1/messages", body, headers)

    def gemini(self, model="mock-gemini", prompt=DILEMMA, headers=GEMINI_AUTH, query=""):
        body = {"contents": [{"role": "user", "parts": [{"text": prompt}]}],
                "generationConfig": {"temperature": 0, "maxOutputTokens": 8192, "seed": 42}}
        return self.call_json("POST", "/v1beta/models/%s:generateContent%s" % (model, query),
                              body, headers)

    def stats(self):
        return self.call_json("GET", "/_mock/stats")[2]

    def configure(self, **settings):
        body = {k.replace("_", "-"): v for k, v in settings.items()}
        status, _, raw = self.call("POST", "/_mock/config", body)
        self.assertEqual(status, 200, raw)

    # -- success shapes ---------------------------------------------------------------
    def test_openai_success_shape(self):
        status, hdrs, js = self.openai()
        self.assertEqual(status, 200)
        self.assertEqual(hdrs["content-type"], "application/json")
        self.assertRegex(hdrs["x-request-id"], r"^req_[0-9a-f]{24}$")
        self.assertEqual(set(js), {"id", "object", "created", "model", "choices", "usage",
                                   "system_fingerprint"})
        self.assertRegex(js["id"], r"^chatcmpl-[0-9a-f]{24}$")
        self.assertEqual(js["object"], "chat.completion")
        self.assertEqual(js["model"], "mock-a")
        self.assertEqual(len(js["choices"]), 1)
        choice = js["choices"][0]
        self.assertEqual(set(choice), {"index", "message", "logprobs", "finish_reason"})
        self.assertEqual(choice["index"], 0)
        self.assertEqual(choice["finish_reason"], "stop")
        self.assertEqual(choice["message"]["role"], "assistant")
        text = choice["message"]["content"]
        self.assertIsNotNone(rating_of(text), text)
        self.assertGreaterEqual(text.count("\n\n"), 2)  # 2-3 paragraphs, then the rating line
        usage = js["usage"]
        self.assertEqual(usage["prompt_tokens"], math.ceil(len(DILEMMA) / 4))
        self.assertEqual(usage["completion_tokens"], math.ceil(len(text.encode()) / 4))
        self.assertEqual(usage["total_tokens"], usage["prompt_tokens"] + usage["completion_tokens"])

    def test_anthropic_success_shape(self):
        status, hdrs, js = self.anthropic(extra={"system": "Answer honestly.", "temperature": 0})
        self.assertEqual(status, 200)
        self.assertRegex(hdrs["request-id"], r"^req_[0-9a-f]{24}$")
        self.assertEqual(set(js), {"id", "type", "role", "model", "content", "stop_reason",
                                   "stop_sequence", "usage"})
        self.assertRegex(js["id"], r"^msg_[0-9a-f]{24}$")
        self.assertEqual((js["type"], js["role"], js["model"]), ("message", "assistant", "mock-claude"))
        self.assertEqual(js["stop_reason"], "end_turn")
        self.assertIsNone(js["stop_sequence"])
        self.assertEqual(len(js["content"]), 1)
        self.assertEqual(js["content"][0]["type"], "text")
        self.assertIsNotNone(rating_of(js["content"][0]["text"]))
        self.assertEqual(set(js["usage"]), {"input_tokens", "output_tokens"})
        self.assertEqual(js["usage"]["input_tokens"],
                         math.ceil((len(DILEMMA) + len("Answer honestly.")) / 4))

    def test_gemini_success_shape(self):
        for headers, query in ((GEMINI_AUTH, ""), ({}, "?key=" + KEY)):
            status, _, js = self.gemini(headers=headers, query=query)
            self.assertEqual(status, 200, js)
            self.assertEqual(set(js), {"candidates", "usageMetadata", "modelVersion", "responseId"})
            self.assertEqual(js["modelVersion"], "mock-gemini")
            cand = js["candidates"][0]
            self.assertEqual(cand["finishReason"], "STOP")
            self.assertEqual(cand["content"]["role"], "model")
            text = "".join(p["text"] for p in cand["content"]["parts"])
            self.assertIsNotNone(rating_of(text))
            u = js["usageMetadata"]
            self.assertEqual(u["promptTokenCount"], math.ceil(len(DILEMMA) / 4))
            self.assertEqual(u["totalTokenCount"], u["promptTokenCount"] + u["candidatesTokenCount"])

    def test_same_request_same_text(self):
        a = self.openai(model="mock-c")[2]["choices"][0]["message"]["content"]
        b = self.openai(model="mock-c")[2]["choices"][0]["message"]["content"]
        self.assertEqual(a, b)
        c = self.anthropic(model="mock-c")[2]["content"][0]["text"]
        self.assertEqual(a, c)  # the same model and messages give the same answer in any API style
        other = self.openai(model="mock-c", prompt=DILEMMA + " ")[2]["choices"][0]["message"]["content"]
        self.assertIsNotNone(rating_of(other))

    def test_models_have_different_distributions(self):
        means = {}
        for model in ("mock-a", "mock-b", "mock-c"):
            ratings = []
            for i in range(50):
                status, _, js = self.openai(model=model, prompt="%s\n(variant %d)" % (DILEMMA, i))
                self.assertEqual(status, 200)
                r = rating_of(js["choices"][0]["message"]["content"])
                self.assertIsNotNone(r)
                ratings.append(r)
            means[model] = sum(ratings) / len(ratings)
        self.assertGreater(means["mock-a"], means["mock-c"] + 0.4, means)
        self.assertGreater(means["mock-c"], means["mock-b"] + 0.4, means)

    def test_followup_turn_is_short(self):
        first = self.openai(model="mock-b")[2]["choices"][0]["message"]["content"]
        body = {"model": "mock-b", "messages": [
            {"role": "user", "content": DILEMMA},
            {"role": "assistant", "content": first},
            {"role": "user", "content": "In one sentence, which value decided it for you?"}]}
        status, _, js = self.call_json("POST", "/v1/chat/completions", body, OPENAI_AUTH)
        self.assertEqual(status, 200)
        text = js["choices"][0]["message"]["content"]
        self.assertNotIn("\n", text)
        self.assertLessEqual(len(re.findall(r"[.!?](?:\s|$)", text)), 2, text)
        self.assertLess(len(text), 250)

    def test_models_lists(self):
        status, _, js = self.call_json("GET", "/v1/models", headers=OPENAI_AUTH)
        self.assertEqual(status, 200)
        self.assertEqual(js["object"], "list")
        ids = [m["id"] for m in js["data"]]
        self.assertEqual(ids, ["mock-a", "mock-b", "mock-c", "mock-no-temp", "mock-claude",
                               "mock-gemini"])
        self.assertEqual(js["data"][0]["object"], "model")
        status, _, js = self.call_json("GET", "/v1/models", headers=ANTHROPIC_AUTH)
        self.assertEqual(status, 200)
        self.assertEqual(set(js), {"data", "has_more", "first_id", "last_id"})
        self.assertIs(js["has_more"], False)
        self.assertEqual(js["data"][4], {"type": "model", "id": "mock-claude",
                                         "display_name": "Mock Claude",
                                         "created_at": "2025-01-01T00:00:00Z"})
        status, _, js = self.call_json("GET", "/v1beta/models", headers=GEMINI_AUTH)
        self.assertEqual(status, 200)
        self.assertEqual(js["models"][5]["name"], "models/mock-gemini")
        self.assertIn("generateContent", js["models"][5]["supportedGenerationMethods"])

    # -- errors ---------------------------------------------------------------------
    def test_openai_auth_errors(self):
        status, _, js = self.openai(headers={})
        self.assertEqual(status, 401)
        self.assertEqual(set(js["error"]), {"message", "type", "param", "code"})
        self.assertEqual(js["error"]["type"], "invalid_request_error")
        self.assertTrue(js["error"]["message"].startswith("You didn't provide an API key."))
        status, _, js = self.openai(headers={"Authorization": "Bearer wrong"})
        self.assertEqual(status, 401)
        self.assertEqual(js["error"]["code"], "invalid_api_key")
        status, _, js = self.call_json("GET", "/v1/models", headers={"Authorization": "Bearer x"})
        self.assertEqual(status, 401)

    def test_anthropic_auth_errors(self):
        status, _, js = self.anthropic(headers={"anthropic-version": "2023-06-01"})
        self.assertEqual(status, 401)
        self.assertEqual(js, {"type": "error", "error": {"type": "authentication_error",
                                                         "message": "x-api-key header is required"}})
        status, _, js = self.anthropic(headers={"x-api-key": "nope", "anthropic-version": "2023-06-01"})
        self.assertEqual(status, 401)
        self.assertEqual(js, {"type": "error", "error": {"type": "authentication_error",
                                                         "message": "invalid x-api-key"}})
        status, _, js = self.anthropic(headers={"x-api-key": KEY})
        self.assertEqual(status, 400)
        self.assertEqual(js, {"type": "error", "error": {
            "type": "invalid_request_error", "message": "anthropic-version: header is required"}})

    def test_gemini_auth_errors(self):
        status, _, js = self.gemini(headers={})
        self.assertEqual(status, 403)
        self.assertEqual(set(js["error"]), {"code", "message", "status"})
        self.assertEqual((js["error"]["code"], js["error"]["status"]), (403, "PERMISSION_DENIED"))
        status, _, js = self.gemini(headers={"x-goog-api-key": "bad"})
        self.assertEqual(status, 400)
        self.assertEqual(js["error"]["code"], 400)
        self.assertEqual(js["error"]["status"], "INVALID_ARGUMENT")
        self.assertEqual(js["error"]["message"], "API key not valid. Please pass a valid API key.")
        self.assertEqual(js["error"]["details"][0]["reason"], "API_KEY_INVALID")

    def test_dated_versions_belong_to_their_family(self):
        status, _, js = self.openai(model="mock-a-2026-06")
        self.assertEqual(status, 200)
        self.assertEqual(js["model"], "mock-a-2026-06")
        for bad in ("mock-a-", "mock-abc", "mock"):
            self.assertEqual(self.openai(model=bad)[0], 404, bad)

    def test_unknown_model_404(self):
        status, _, js = self.openai(model="gpt-nope")
        self.assertEqual(status, 404)
        self.assertEqual(js["error"]["code"], "model_not_found")
        self.assertEqual(js["error"]["message"],
                         "The model `gpt-nope` does not exist or you do not have access to it.")
        status, _, js = self.anthropic(model="claude-nope")
        self.assertEqual(status, 404)
        self.assertEqual(js, {"type": "error", "error": {"type": "not_found_error",
                                                         "message": "model: claude-nope"}})
        status, _, js = self.gemini(model="gemini-nope")
        self.assertEqual(status, 404)
        self.assertEqual((js["error"]["code"], js["error"]["status"]), (404, "NOT_FOUND"))
        self.assertTrue(js["error"]["message"].startswith("models/gemini-nope is not found"))

    def test_malformed_request_json_400(self):
        bad = b'{"model": "mock-a", "messages": ['
        status, _, js = self.call_json("POST", "/v1/chat/completions", bad, OPENAI_AUTH)
        self.assertEqual(status, 400)
        self.assertEqual(js["error"]["type"], "invalid_request_error")
        self.assertTrue(js["error"]["message"].startswith("We could not parse the JSON body"))
        status, _, js = self.call_json("POST", "/v1/messages", bad, ANTHROPIC_AUTH)
        self.assertEqual(status, 400)
        self.assertEqual(js["type"], "error")
        self.assertEqual(js["error"]["type"], "invalid_request_error")
        status, _, js = self.call_json("POST", "/v1beta/models/mock-gemini:generateContent", bad,
                                       GEMINI_AUTH)
        self.assertEqual(status, 400)
        self.assertEqual(js["error"]["status"], "INVALID_ARGUMENT")
        self.assertTrue(js["error"]["message"].startswith("Invalid JSON payload received."))

    def test_anthropic_requires_max_tokens(self):
        body = {"model": "mock-claude", "messages": [{"role": "user", "content": "hi"}]}
        status, _, js = self.call_json("POST", "/v1/messages", body, ANTHROPIC_AUTH)
        self.assertEqual(status, 400)
        self.assertEqual(js, {"type": "error", "error": {"type": "invalid_request_error",
                                                         "message": "max_tokens: Field required"}})

    def test_no_temp_model_rejects_temperature(self):
        status, _, js = self.openai(model="mock-no-temp", extra={"temperature": 0, "seed": 42})
        self.assertEqual(status, 400)
        self.assertEqual(js["error"], {
            "message": "Unsupported value: 'temperature' does not support 0 with this model. "
                       "Only the default (1) value is supported.",
            "type": "invalid_request_error", "param": "temperature", "code": "unsupported_value"})
        self.assertEqual(self.openai(model="mock-no-temp")[0], 200)
        self.assertEqual(self.openai(model="mock-no-temp", extra={"temperature": 1})[0], 200)
        self.assertEqual(self.openai(model="mock-a", extra={"temperature": 0})[0], 200)

    def test_unknown_path_404(self):
        status, _, js = self.call_json("GET", "/v2/nothing", headers=OPENAI_AUTH)
        self.assertEqual(status, 404)
        self.assertEqual(js["error"]["message"], "Unknown request URL: GET /v2/nothing")

    # -- faults -----------------------------------------------------------------------
    def test_rate_429_switched_on_by_config(self):
        self.configure(rate_429=1, retry_after=2)
        status, hdrs, js = self.openai()
        self.assertEqual(status, 429)
        self.assertEqual(hdrs["retry-after"], "2")
        self.assertEqual(hdrs["x-ratelimit-reset-requests"], "2s")
        self.assertEqual(js["error"]["code"], "rate_limit_exceeded")
        status, hdrs, js = self.anthropic()
        self.assertEqual(status, 429)
        self.assertEqual(hdrs["retry-after"], "2")
        self.assertRegex(hdrs["anthropic-ratelimit-requests-reset"],
                         r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(js["error"]["type"], "rate_limit_error")
        status, hdrs, js = self.gemini()
        self.assertEqual(status, 429)
        self.assertEqual(hdrs["retry-after"], "2")
        self.assertEqual(js["error"]["status"], "RESOURCE_EXHAUSTED")
        self.assertEqual(self.stats()["by_status"], {"429": 3})
        self.configure(rate_429=0)
        self.assertEqual(self.openai()[0], 200)

    def test_retry_after_violations_counted(self):
        self.configure(rate_429=1, retry_after=1)
        self.assertEqual(self.openai(prompt="retry me")[0], 429)
        self.assertEqual(self.openai(prompt="retry me")[0], 429)   # too early: a violation
        self.assertEqual(self.openai(prompt="another body")[0], 429)  # a different body: none
        self.assertEqual(self.stats()["retry_after_violations"], 1)
        time.sleep(1.2)
        self.configure(rate_429=0)
        self.assertEqual(self.openai(prompt="retry me")[0], 200)  # waited long enough
        self.assertEqual(self.stats()["retry_after_violations"], 1)

    def test_server_errors(self):
        self.configure(rate_500=1)
        status, _, js = self.openai()
        self.assertEqual((status, js["error"]["type"]), (500, "server_error"))
        status, _, js = self.anthropic()
        self.assertEqual((status, js["error"]["type"]), (500, "api_error"))
        self.configure(rate_500=0, rate_503=1)
        self.assertEqual(self.openai()[0], 503)
        status, _, js = self.anthropic()
        self.assertEqual((status, js["error"]["type"]), (529, "overloaded_error"))
        status, _, js = self.gemini()
        self.assertEqual((status, js["error"]["status"]), (503, "UNAVAILABLE"))

    def test_malformed_response_fault(self):
        self.configure(rate_malformed=1)
        for path, body, headers in (
                ("/v1/chat/completions", {"model": "mock-a", "messages": [
                    {"role": "user", "content": "x"}]}, OPENAI_AUTH),
                ("/v1/messages", {"model": "mock-a", "max_tokens": 5, "messages": [
                    {"role": "user", "content": "x"}]}, ANTHROPIC_AUTH)):
            status, _, raw = self.call("POST", path, body, headers)
            self.assertEqual(status, 200)
            self.assertTrue(raw.startswith(b"{"))
            with self.assertRaises(ValueError):
                json.loads(raw)

    def test_empty_fault(self):
        self.configure(rate_empty=1)
        status, _, js = self.openai()
        self.assertEqual(status, 200)
        self.assertEqual(js["choices"][0]["message"]["content"], "")
        self.assertEqual(js["choices"][0]["finish_reason"], "stop")
        self.assertEqual(js["usage"]["completion_tokens"], 0)
        status, _, js = self.anthropic()
        self.assertEqual((status, js["content"], js["stop_reason"]), (200, [], "end_turn"))
        status, _, js = self.gemini()
        self.assertEqual(js["candidates"][0]["content"]["parts"], [{"text": ""}])

    def test_filter_fault(self):
        self.configure(rate_filter=1)
        status, _, js = self.openai()
        self.assertEqual(status, 200)
        self.assertIsNone(js["choices"][0]["message"]["content"])
        self.assertEqual(js["choices"][0]["finish_reason"], "content_filter")
        status, _, js = self.anthropic()
        self.assertEqual((js["content"], js["stop_reason"]), ([], "refusal"))
        status, _, js = self.gemini()
        self.assertEqual(js["promptFeedback"], {"blockReason": "SAFETY"})
        self.assertNotIn("candidates", js)

    def test_reset_and_hang_close_without_response(self):
        self.configure(rate_reset=1)
        with self.assertRaises((http.client.HTTPException, ConnectionError)):
            self.openai()
        self.configure(rate_reset=0, rate_hang=1, hang_ms=300)
        t0 = time.monotonic()
        with self.assertRaises((http.client.HTTPException, ConnectionError)):
            self.openai()
        self.assertGreaterEqual(time.monotonic() - t0, 0.28)
        self.assertEqual(self.stats()["by_status"], {"0": 2})

    def test_latency(self):
        self.configure(latency_ms=150)
        t0 = time.monotonic()
        self.assertEqual(self.openai()[0], 200)
        self.assertGreaterEqual(time.monotonic() - t0, 0.14)

    def test_concurrent_requests_overlap(self):
        self.configure(latency_ms=200)
        results = []

        def one(i):
            results.append(self.openai(prompt="parallel %d" % i)[0])
        elapsed = run_concurrently(one, 50)
        self.assertEqual(results, [200] * 50)
        self.assertLess(elapsed, 3.0)  # serial would take 50 x 0.2 s = 10 s
        st = self.stats()
        self.assertGreaterEqual(st["max_in_flight"], 25)
        self.assertEqual(st["in_flight"], 0)

    def test_earlier_deadline_overtakes_later_one(self):
        # A waiting reply must not hold back one that is due sooner.
        self.configure(latency_ms=600)
        done = {}

        def slow():
            t0 = time.monotonic()
            done["slow"] = (self.openai(prompt="slow")[0], time.monotonic() - t0, time.monotonic())
        t = threading.Thread(target=slow)
        t.start()
        time.sleep(0.15)
        self.configure(latency_ms=50)
        t0 = time.monotonic()
        self.assertEqual(self.openai(prompt="fast")[0], 200)
        fast_end = time.monotonic()
        self.assertGreaterEqual(fast_end - t0, 0.045)
        self.assertLess(fast_end - t0, 0.4)
        t.join(10)
        status, elapsed, slow_end = done["slow"]
        self.assertEqual(status, 200)
        self.assertGreaterEqual(elapsed, 0.59)
        self.assertLess(fast_end, slow_end)

    def test_client_gone_while_reply_waits(self):
        # Clients that hang up while their reply waits must leave the server serving and
        # every request accounted for once the replies fall due.
        self.configure(latency_ms=300)
        body = json.dumps({"model": "mock-a", "messages": [{"role": "user", "content": "bye"}]})
        raw = ("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
               "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
               % (KEY, len(body), body)).encode()
        socks = [socket.create_connection(("127.0.0.1", self.port), timeout=5) for _ in range(10)]
        for s in socks:
            s.sendall(raw)
        deadline = time.monotonic() + 5
        while self.stats()["in_flight"] < 10 and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertEqual(self.stats()["in_flight"], 10)  # all ten are waiting, suspended
        for i, s in enumerate(socks):
            if i % 2:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST
            s.close()
        self.assertEqual(self.openai()[0], 200)  # waits its own 300 ms beside the abandoned ones
        deadline = time.monotonic() + 5
        while self.stats()["in_flight"] and time.monotonic() < deadline:
            time.sleep(0.05)
        st = self.stats()
        self.assertEqual(st["in_flight"], 0)
        self.assertEqual(st["requests"], 11)
        self.assertEqual(st["by_status"], {"200": 11})  # counted as answered, as the provider would
        self.configure(latency_ms=0)
        self.assertEqual(self.openai()[0], 200)

    # -- control endpoints ------------------------------------------------------------
    def test_stats_shape_and_reset(self):
        self.openai(model="mock-a")
        self.openai(model="mock-b")
        self.openai(model="mock-b")
        self.openai(headers={})
        st = self.stats()
        self.assertEqual(st, {"requests": 4, "by_status": {"200": 3, "401": 1},
                              "by_model": {"mock-a": 1, "mock-b": 2},
                              "retry_after_violations": 0, "in_flight": 0, "max_in_flight": 1})
        self.assertEqual(self.call_json("POST", "/_mock/reset")[2], {"ok": True})
        self.assertEqual(self.stats()["requests"], 0)

    def test_config_errors_and_readback(self):
        status, _, js = self.call_json("POST", "/_mock/config", {"rate-429": 2})
        self.assertEqual(status, 400)
        self.assertEqual(js, {"error": "rate-429 must be a number from 0 to 1, not 2"})
        status, _, js = self.call_json("POST", "/_mock/config", {"bogus": 1})
        self.assertEqual((status, js), (400, {"error": 'unknown setting "bogus"'}))
        status, _, js = self.call_json("POST", "/_mock/config", {"jitter-ms": 5})
        self.assertEqual(status, 200)
        self.assertEqual(js["jitter-ms"], 5)
        self.assertEqual(js["rate-429"], 0)
        self.assertEqual(self.call_json("GET", "/_mock/config")[2], js)


class MockLLMProcessTest(unittest.TestCase):
    """Start-up checks and shutdown, each with its own process."""

    def test_refuses_non_loopback(self):
        r = subprocess.run([BINARY, "--listen", "0.0.0.0", "--port", "0"], capture_output=True,
                           text=True, timeout=20)
        self.assertEqual(r.returncode, 1)
        self.assertIn("not a loopback address", r.stderr)
        r = subprocess.run([BINARY, "--rate-429", "7"], capture_output=True, text=True, timeout=20)
        self.assertEqual(r.returncode, 1)
        self.assertIn("rate-429 must be a number from 0 to 1", r.stderr)

    def test_threads_share_the_port(self):
        """--threads N: N listening sockets on one port (SO_REUSEPORT), every request answered
        once, with ids unique across the threads and one set of stats."""
        proc, port, lines = start_server("--threads", "3", "--latency-ms", "100")
        try:
            self.assertIn("threads=3", "".join(lines))
            listening = 0
            with open("/proc/net/tcp") as f:
                for row in f.read().splitlines()[1:]:
                    local, state = row.split()[1], row.split()[3]
                    listening += int(local.split(":")[1], 16) == port and state == "0A"
            self.assertEqual(listening, 3)
            results, ids = [], []

            def one(i):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                try:
                    conn.request("POST", "/v1/chat/completions", body=json.dumps(
                        {"model": "mock-a", "messages": [{"role": "user", "content": "q %d" % i}]}),
                        headers=OPENAI_AUTH)
                    r = conn.getresponse()
                    results.append(r.status)
                    ids.append(json.loads(r.read())["id"])
                finally:
                    conn.close()
            self.assertLess(run_concurrently(one, 60), 3.0)
            self.assertEqual(results, [200] * 60)
            self.assertEqual(len(set(ids)), 60)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/_mock/stats")
            st = json.loads(conn.getresponse().read())
            conn.close()
            self.assertEqual((st["requests"], st["in_flight"]), (60, 0))
        finally:
            self.assertEqual(stop_server(proc), 0)
        for bad in ("0", "17", "two"):
            r = subprocess.run([BINARY, "--port", "0", "--threads", bad], capture_output=True, text=True,
                               timeout=20)
            self.assertEqual(r.returncode, 1)
            self.assertIn('--threads needs a number from 1 to 16, not "%s"' % bad, r.stderr)

    def test_sigterm_during_hang_exits_cleanly(self):
        proc, port, lines = start_server("--rate-hang", "1", "--verbose")
        outcomes = []
        t = threading.Thread(target=chat_outcome, args=(port, outcomes))
        t.start()
        time.sleep(0.5)
        t0 = time.monotonic()
        code = stop_server(proc)
        self.assertLess(time.monotonic() - t0, 5)
        t.join(10)
        self.assertEqual(code, 0, "".join(lines))
        self.assertEqual(len(outcomes), 1)
        self.assertIsInstance(outcomes[0], Exception)  # closed with no response
        text = "".join(lines)
        self.assertNotIn("Sanitizer", text)
        self.assertIn('msg="request" method=POST path="/v1/chat/completions" status=0 '
                      'model=mock-a fault=hang', text)

    def test_sigterm_with_replies_waiting_exits_promptly(self):
        proc, port, lines = start_server("--latency-ms", "60000")
        outcomes = []
        threads = [threading.Thread(target=chat_outcome, args=(port, outcomes)) for _ in range(20)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        t0 = time.monotonic()
        code = stop_server(proc)
        self.assertLess(time.monotonic() - t0, 5)
        for t in threads:
            t.join(10)
        self.assertEqual(code, 0, "".join(lines))
        self.assertEqual(len(outcomes), 20)  # every client got an answer or a closed connection
        self.assertNotIn("Sanitizer", "".join(lines))


if __name__ == "__main__":
    unittest.main(verbosity=2)
