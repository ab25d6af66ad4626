/* test_providers.c — fixture tests of the provider adapters: exact request bodies, every response and error shape. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "providers/models.h"
#include "providers/provider.h"
#include "check_main.h"

/* 2026-01-01T00:00:00Z in ms: the "now" of every retry-after test. */
#define NOW_MS 1767225600000LL

static const char zCatalog[] =
	"{\"providers\": ["
	" {\"id\": \"oai\", \"api_style\": \"openai\", \"base_url\": \"https://api.openai.com/v1\", \"key_env\": \"OPENAI_API_KEY\"},"
	" {\"id\": \"mis\", \"api_style\": \"openai\", \"base_url\": \"https://api.mistral.ai/v1/\", \"key_env\": \"MISTRAL_API_KEY\"},"
	" {\"id\": \"loc\", \"api_style\": \"openai\", \"base_url\": \"http://127.0.0.1:11434/v1\", \"key_env\": null},"
	" {\"id\": \"ant\", \"api_style\": \"anthropic\", \"base_url\": \"https://api.anthropic.com\", \"key_env\": \"ANTHROPIC_API_KEY\"},"
	" {\"id\": \"gem\", \"api_style\": \"gemini\", \"base_url\": \"https://generativelanguage.googleapis.com/v1beta\", \"key_env\": \"GOOGLE_API_KEY\"}],"
	" \"models\": ["
	" {\"id\": \"gpt-4o\", \"provider\": \"oai\", \"versions\": [\"gpt-4o-2024-08-06\", \"gpt-4o-2024-11-20\"]},"
	" {\"id\": \"gpt-5-mini\", \"provider\": \"oai\", \"versions\": [\"gpt-5-mini-2025-08-07\"]},"
	" {\"id\": \"o3-mini\", \"provider\": \"oai\"},"
	" {\"id\": \"gpt-5.1\", \"provider\": \"oai\"},"
	" {\"id\": \"notemp\", \"provider\": \"oai\", \"supports_temperature\": false},"
	" {\"id\": \"over\", \"provider\": \"oai\", \"request_overrides\": {\"top_p\": 0.5, \"max_tokens\": 100, \"seed\": null,"
	"   \"stream_options\": {\"include_usage\": true}}},"
	" {\"id\": \"mistral-large\", \"provider\": \"mis\", \"seed_param\": \"random_seed\"},"
	" {\"id\": \"llama\", \"provider\": \"loc\", \"versions\": [\"llama3.1:8b\"], \"max_tokens\": 512},"
	" {\"id\": \"claude\", \"provider\": \"ant\", \"versions\": [\"claude-sonnet-4-5-20250929\"]},"
	" {\"id\": \"gemini-2.5-pro\", \"provider\": \"gem\"},"
	" {\"id\": \"gem-over\", \"provider\": \"gem\", \"versions\": [\"gemini-2.5-flash\"],"
	"   \"request_overrides\": {\"generationConfig\": {\"topK\": 1}}}]}";

static ModelCatalog *pCat;

static void setup(void)
{
	char zErr[256];
	pCat = models_load_text("test-catalog", zCatalog, strlen(zCatalog), zErr, sizeof zErr);
	if (!pCat) ck_abort_msg("catalog: %s", zErr);
}

static void teardown(void)
{
	models_free(pCat);
	pCat = NULL;
}

/* Read tests/fixtures/providers/NAME from the source tree. Caller frees; *pn gets the size. */
static char *fixture_read(const char *zName, size_t *pn)
{
	const char *zSrc = getenv("VR_SRCDIR");
	Buf path = BUF_INIT, data = BUF_INIT;
	char aChunk[4096];
	size_t n;
	FILE *pFile;
	buf_printf(&path, "%s/tests/fixtures/providers/%s", zSrc ? zSrc : ".", zName);
	pFile = fopen(buf_str(&path), "rb");
	if (!pFile) ck_abort_msg("cannot open fixture %s", buf_str(&path));
	while ((n = fread(aChunk, 1, sizeof aChunk, pFile)) > 0) buf_append(&data, aChunk, n);
	fclose(pFile);
	buf_free(&path);
	*pn = data.n;
	return data.z ? buf_detach(&data) : xstrdup("");
}

/* ---- request building ---- */

static const ProbeTurn aOne[] = {{"user", "Hello"}};
static const ProbeTurn aThree[] = {{"user", "Q1"}, {"assistant", "A1"}, {"user", "Q2"}};

/* Build a request for provider:model and check URL, method, headers (joined by '|') and body. */
static void check_build(const char *zProv, const char *zModel, const char *zKey, const ProbeParams *pParams,
                        const char *zUrl, const char *zHeaders, const char *zBody)
{
	HttpRequestSpec spec;
	Buf headers = BUF_INIT;
	char zErr[256] = "";
	const ModelConf *pModel = models_find(pCat, zProv, zModel);
	int i, rc;
	ck_assert_ptr_nonnull(pModel);
	rc = provider_build_request(pModel->pProvider, pModel, zKey, pParams, &spec, zErr, sizeof zErr);
	ck_assert_msg(rc == ERR_NONE, "build failed: %s", zErr);
	ck_assert_str_eq(spec.zMethod, "POST");
	ck_assert_str_eq(spec.zUrl, zUrl);
	for (i = 0; i < spec.nHeader; i++) buf_printf(&headers, "%s%s", i ? "|" : "", spec.azHeader[i]);
	ck_assert_str_eq(buf_str(&headers), zHeaders);
	ck_assert_str_eq(spec.zBody, zBody);
	buf_free(&headers);
	http_request_spec_free(&spec);
	ck_assert_ptr_null(spec.zBody);
}

/* Parameters for turns aT: no system prompt, no temperature. */
static ProbeParams params(const ProbeTurn *aT, int nT)
{
	ProbeParams p;
	memset(&p, 0, sizeof p);
	p.aTurn = aT;
	p.nTurn = nT;
	p.sendTemperature = 1;
	return p;
}

START_TEST(test_openai_single_turn_no_temperature)
{
	ProbeParams p = params(aOne, 1);
	check_build("oai", "gpt-4o", "sk-test", &p, "https://api.openai.com/v1/chat/completions",
	            "Authorization: Bearer sk-test|Content-Type: application/json",
	            "{\"max_tokens\":8192,\"messages\":[{\"content\":\"Hello\",\"role\":\"user\"}],"
	            "\"model\":\"gpt-4o-2024-08-06\"}");
}
END_TEST

START_TEST(test_openai_multi_turn_system_temperature_zero_sends_seed)
{
	ProbeParams p = params(aThree, 3);
	p.zSystem = "Be brief.";
	p.hasTemperature = 1;
	p.temperature = 0;
	check_build("oai", "gpt-4o", "sk-test", &p, "https://api.openai.com/v1/chat/completions",
	            "Authorization: Bearer sk-test|Content-Type: application/json",
	            "{\"max_tokens\":8192,\"messages\":[{\"content\":\"Be brief.\",\"role\":\"system\"},"
	            "{\"content\":\"Q1\",\"role\":\"user\"},{\"content\":\"A1\",\"role\":\"assistant\"},"
	            "{\"content\":\"Q2\",\"role\":\"user\"}],\"model\":\"gpt-4o-2024-08-06\",\"seed\":42,\"temperature\":0}");
}
END_TEST

START_TEST(test_openai_nonzero_temperature_has_no_seed_and_version_is_chosen)
{
	ProbeParams p = params(aOne, 1);
	p.hasTemperature = 1;
	p.temperature = 0.7;
	p.zModelVersion = "gpt-4o-2024-11-20";
	check_build("oai", "gpt-4o", "sk-test", &p, "https://api.openai.com/v1/chat/completions",
	            "Authorization: Bearer sk-test|Content-Type: application/json",
	            "{\"max_tokens\":8192,\"messages\":[{\"content\":\"Hello\",\"role\":\"user\"}],"
	            "\"model\":\"gpt-4o-2024-11-20\",\"temperature\":0.7}");
}
END_TEST

START_TEST(test_openai_reasoning_families_take_max_completion_tokens)
{
	ProbeParams p = params(aOne, 1);
	p.maxTokens = 1000;
	check_build("oai", "gpt-5-mini", "k", &p, "https://api.openai.com/v1/chat/completions",
	            "Authorization: Bearer k|Content-Type: application/json",
	            "{\"max_completion_tokens\":1000,\"messages\":[{\"content\":\"Hello\",\"role\":\"user\"}],"
	            "\"model\":\"gpt-5-mini-2025-08-07\"}");
	check_build("oai", "o3-mini", "k", &p, "https://api.openai.com/v1/chat/completions",
	            "Authorization: Bearer k|Content-Type: application/json",
	            "{\"max_completion_tokens\":1000,\"messages\":[{\"content\":\"Hello\",\"role\":\"user\"}],"
	            "\"model\":\"o3-mini\"}");
	check_build("oai", "gpt-5.1", "k", &p, "https://api.openai.com/v1/chat/completions",
	            "Authorization: Bearer k|Content-Type: application/json",
	            "{\"max_completion_tokens\":1000,\"messages\":[{\"content\":\"Hello\",\"role\":\"user\"}],"
	            "\"model\":\"gpt-5.1\"}");
}
END_TEST

START_TEST(test_openai_retry_without_temperature)
{
	ProbeParams p = params(aOne, 1);
	p.hasTemperature = 1;
	p.temperature = 0;
	p.sendTemperature = 0;
	check_build("oai", "gpt-5-mini", "k", &p, "https://api.openai.com/v1/chat/completions",
	            "Authorization: Bearer k|Content-Type: application/json",
	            "{\"max_completion_tokens\":8192,\"messages\":[{\"content\":\"Hello\",\"role\":\"user\"}],"
	            "\"model\":\"gpt-5-mini-2025-08-07\"}");
	/* A model configured without temperature support never gets one. */
	p.sendTemperature = 1;
	check_build("oai", "notemp", "k", &p, "https://api.openai.com/v1/chat/completions",
	            "Authorization: Bearer k|Content-Type: application/json",
	            "{\"max_tokens\":8192,\"messages\":[{\"content\":\"Hello\",\"role\":\"user\"}],\"model\":\"notemp\"}");
}
END_TEST

START_TEST(test_mistral_random_seed_and_trailing_slash)
{
	ProbeParams p = params(aOne, 1);
	p.hasTemperature = 1;
	p.temperature = 0;
	check_build("mis", "mistral-large", "mk", &p, "https://api.mistral.ai/v1/chat/completions",
	            "Authorization: Bearer mk|Content-Type: application/json",
	            "{\"max_tokens\":8192,\"messages\":[{\"content\":\"Hello\",\"role\":\"user\"}],"
	            "\"model\":\"mistral-large\",\"random_seed\":42,\"temperature\":0}");
}
END_TEST

START_TEST(test_local_server_needs_no_key)
{
	ProbeParams p = params(aOne, 1);
	check_build("loc", "llama", NULL, &p, "http://127.0.0.1:11434/v1/chat/completions",
	            "Content-Type: application/json",
	            "{\"max_tokens\":512,\"messages\":[{\"content\":\"Hello\",\"role\":\"user\"}],\"model\":\"llama3.1:8b\"}");
}
END_TEST

START_TEST(test_request_overrides_merge)
{
	ProbeParams p = params(aOne, 1);
	p.hasTemperature = 1;
	p.temperature = 0;
	/* top_p added, max_tokens replaced, seed deleted by null, nested object added. */
	check_build("oai", "over", "k", &p, "https://api.openai.com/v1/chat/completions",
	            "Authorization: Bearer k|Content-Type: application/json",
	            "{\"max_tokens\":100,\"messages\":[{\"content\":\"Hello\",\"role\":\"user\"}],\"model\":\"over\","
	            "\"stream_options\":{\"include_usage\":true},\"temperature\":0,\"top_p\":0.5}");
	/* Nested objects merge rather than replace. */
	check_build("gem", "gem-over", "gk", &p,
	            "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent",
	            "x-goog-api-key: gk|Content-Type: application/json",
	            "{\"contents\":[{\"parts\":[{\"text\":\"Hello\"}],\"role\":\"user\"}],"
	            "\"generationConfig\":{\"maxOutputTokens\":8192,\"seed\":42,\"temperature\":0,\"topK\":1}}");
}
END_TEST

START_TEST(test_body_is_byte_stable)
{
	const ModelConf *pModel = models_find(pCat, "oai", "gpt-4o");
	ProbeParams p = params(aThree, 3);
	HttpRequestSpec a, b;
	char zErr[128];
	p.hasTemperature = 1;
	p.temperature = 1.3;
	ck_assert_int_eq(provider_build_request(pModel->pProvider, pModel, "k", &p, &a, zErr, sizeof zErr), 0);
	ck_assert_int_eq(provider_build_request(pModel->pProvider, pModel, "k", &p, &b, zErr, sizeof zErr), 0);
	ck_assert_str_eq(a.zBody, b.zBody);
	ck_assert_ptr_nonnull(strstr(a.zBody, "\"temperature\":1.3}"));
	http_request_spec_free(&a);
	http_request_spec_free(&b);
}
END_TEST

START_TEST(test_anthropic_requests)
{
	ProbeParams p = params(aOne, 1);
	check_build("ant", "claude", "ak", &p, "https://api.anthropic.com/v1/messages",
	            "x-api-key: ak|anthropic-version: 2023-06-01|content-type: application/json",
	            "{\"max_tokens\":8192,\"messages\":[{\"content\":\"Hello\",\"role\":\"user\"}],"
	            "\"model\":\"claude-sonnet-4-5-20250929\"}");
	p = params(aThree, 3);
	p.zSystem = "Be brief.";
	p.hasTemperature = 1;
	p.temperature = 0;
	p.maxTokens = 300;
	/* The system prompt is top-level; temperature 0 sends no seed (the API has none). */
	check_build("ant", "claude", "ak", &p, "https://api.anthropic.com/v1/messages",
	            "x-api-key: ak|anthropic-version: 2023-06-01|content-type: application/json",
	            "{\"max_tokens\":300,\"messages\":[{\"content\":\"Q1\",\"role\":\"user\"},"
	            "{\"content\":\"A1\",\"role\":\"assistant\"},{\"content\":\"Q2\",\"role\":\"user\"}],"
	            "\"model\":\"claude-sonnet-4-5-20250929\",\"system\":\"Be brief.\",\"temperature\":0}");
}
END_TEST

START_TEST(test_gemini_requests)
{
	ProbeParams p = params(aOne, 1);
	check_build("gem", "gemini-2.5-pro", "gk", &p,
	            "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:generateContent",
	            "x-goog-api-key: gk|Content-Type: application/json",
	            "{\"contents\":[{\"parts\":[{\"text\":\"Hello\"}],\"role\":\"user\"}],"
	            "\"generationConfig\":{\"maxOutputTokens\":8192}}");
	p = params(aThree, 3);
	p.zSystem = "Be brief.";
	p.hasTemperature = 1;
	p.temperature = 0;
	p.zModelVersion = "models/gemini-2.5-pro";
	check_build("gem", "gemini-2.5-pro", "gk", &p,
	            "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:generateContent",
	            "x-goog-api-key: gk|Content-Type: application/json",
	            "{\"contents\":[{\"parts\":[{\"text\":\"Q1\"}],\"role\":\"user\"},"
	            "{\"parts\":[{\"text\":\"A1\"}],\"role\":\"model\"},{\"parts\":[{\"text\":\"Q2\"}],\"role\":\"user\"}],"
	            "\"generationConfig\":{\"maxOutputTokens\":8192,\"seed\":42,\"temperature\":0},"
	            "\"systemInstruction\":{\"parts\":[{\"text\":\"Be brief.\"}]}}");
	/* A version with characters that do not belong in a path is escaped. */
	p = params(aOne, 1);
	p.zModelVersion = "a b/c";
	check_build("gem", "gemini-2.5-pro", "gk", &p,
	            "https://generativelanguage.googleapis.com/v1beta/models/a%20b%2Fc:generateContent",
	            "x-goog-api-key: gk|Content-Type: application/json",
	            "{\"contents\":[{\"parts\":[{\"text\":\"Hello\"}],\"role\":\"user\"}],"
	            "\"generationConfig\":{\"maxOutputTokens\":8192}}");
}
END_TEST

/* Expect provider_build_request to fail with class e and message zMsg. */
static void check_build_fails(const char *zProv, const char *zModel, const char *zKey, const ProbeParams *pParams,
                              int e, const char *zMsg)
{
	HttpRequestSpec spec;
	char zErr[256] = "";
	const ModelConf *pModel = models_find(pCat, zProv, zModel);
	ck_assert_int_eq(provider_build_request(pModel->pProvider, pModel, zKey, pParams, &spec, zErr, sizeof zErr), e);
	ck_assert_str_eq(zErr, zMsg);
	ck_assert_ptr_null(spec.zBody);
	ck_assert_ptr_null(spec.zUrl);
	ck_assert_int_eq(spec.nHeader, 0);
}

START_TEST(test_build_errors)
{
	static const ProbeTurn aEndsAssistant[] = {{"user", "Q"}, {"assistant", "A"}};
	static const ProbeTurn aBadRole[] = {{"system", "Q"}};
	static const ProbeTurn aBadUtf8[] = {{"user", "caf\xc3"}};
	ProbeParams p = params(aOne, 1);
	check_build_fails("oai", "gpt-4o", NULL, &p, ERR_MISSING_KEY, "no API key for provider \"oai\": set OPENAI_API_KEY");
	check_build_fails("ant", "claude", "", &p, ERR_MISSING_KEY, "no API key for provider \"ant\": set ANTHROPIC_API_KEY");
	p = params(aOne, 0);
	check_build_fails("oai", "gpt-4o", "k", &p, ERR_INVALID_REQUEST, "a probe needs at least one user turn");
	p = params(aEndsAssistant, 2);
	check_build_fails("oai", "gpt-4o", "k", &p, ERR_INVALID_REQUEST, "the last turn must be a user turn");
	p = params(aBadRole, 1);
	check_build_fails("gem", "gemini-2.5-pro", "k", &p, ERR_INVALID_REQUEST, "turn 1: role must be \"user\" or \"assistant\"");
	p = params(aBadUtf8, 1);
	check_build_fails("ant", "claude", "k", &p, ERR_INVALID_REQUEST, "turn 1: text is missing or not valid UTF-8");
	p = params(aOne, 1);
	p.hasTemperature = 1;
	p.temperature = 2.5;
	check_build_fails("oai", "gpt-4o", "k", &p, ERR_INVALID_REQUEST, "temperature must be between 0 and 2");
}
END_TEST

START_TEST(test_models_requests)
{
	HttpRequestSpec spec;
	ck_assert_int_eq(provider_build_models_request(models_provider(pCat, "oai"), "k", &spec), 0);
	ck_assert_str_eq(spec.zMethod, "GET");
	ck_assert_str_eq(spec.zUrl, "https://api.openai.com/v1/models");
	ck_assert_int_eq(spec.nHeader, 1);
	ck_assert_str_eq(spec.azHeader[0], "Authorization: Bearer k");
	ck_assert_ptr_null(spec.zBody);
	http_request_spec_free(&spec);

	ck_assert_int_eq(provider_build_models_request(models_provider(pCat, "ant"), "k", &spec), 0);
	ck_assert_str_eq(spec.zUrl, "https://api.anthropic.com/v1/models");
	ck_assert_int_eq(spec.nHeader, 2);
	ck_assert_str_eq(spec.azHeader[0], "x-api-key: k");
	ck_assert_str_eq(spec.azHeader[1], "anthropic-version: 2023-06-01");
	http_request_spec_free(&spec);

	ck_assert_int_eq(provider_build_models_request(models_provider(pCat, "gem"), "k", &spec), 0);
	ck_assert_str_eq(spec.zUrl, "https://generativelanguage.googleapis.com/v1beta/models");
	ck_assert_int_eq(spec.nHeader, 1);
	ck_assert_str_eq(spec.azHeader[0], "x-goog-api-key: k");
	http_request_spec_free(&spec);

	ck_assert_int_eq(provider_build_models_request(models_provider(pCat, "loc"), NULL, &spec), 0);
	ck_assert_str_eq(spec.zUrl, "http://127.0.0.1:11434/v1/models");
	ck_assert_int_eq(spec.nHeader, 0);
	http_request_spec_free(&spec);

	ck_assert_int_eq(provider_build_models_request(models_provider(pCat, "oai"), NULL, &spec), ERR_MISSING_KEY);
	ck_assert_ptr_null(spec.zUrl);
}
END_TEST

/* ---- response parsing: one row per response shape ---- */

typedef struct ParseCase {
	const char *zProv;
	int status;
	const char *zHeaders;
	const char *zFixture; /* file under tests/fixtures/providers, or NULL to use zInline */
	const char *zInline;
	int err;
	const char *zMessage; /* NULL: no message expected */
	const char *zText;
	int64_t in, out;
	const char *zFinish, *zVersion, *zRequestId;
	int64_t retryAfterMs;
	int tempRejected;
} ParseCase;

static const ParseCase aCase[] = {
	/* OpenAI style */
	{"oai", 200, "HTTP/2 200\r\nx-request-id: req_abc\r\n\r\n", "openai/success.json", NULL, ERR_NONE, NULL,
	 "Rating: 4\nI value their autonomy.", 12, 34, "stop", "gpt-4o-2024-08-06", "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT", 0, 0},
	{"oai", 200, NULL, "openai/success_deepseek_reasoner.json", NULL, ERR_NONE, NULL,
	 "3", 20, 210, "stop", "deepseek-reasoner", "3f1c0a5e-6f3b-4b1a-9c7e-2d2f0e6b1a11", 0, 0},
	{"oai", 200, NULL, "openai/success_content_parts.json", NULL, ERR_NONE, NULL,
	 "I choose 5", 7, 9, "stop", "magistral-medium-2509", "cmpl-parts", 0, 0},
	{"oai", 200, "x-request-id: req_h\r\n", "openai/no_choices.json", NULL, ERR_INVALID_RESPONSE, "response has no choices",
	 NULL, 12, 0, NULL, "gpt-4o-2024-08-06", "chatcmpl-empty", 0, 0},
	{"oai", 200, "x-request-id: req_h\r\n", "openai/missing_choices.json", NULL, ERR_INVALID_RESPONSE, "response has no choices",
	 NULL, 0, 0, NULL, "gpt-4o-2024-08-06", "chatcmpl-x", 0, 0},
	{"oai", 200, NULL, "openai/error_in_200.json", NULL, ERR_INVALID_RESPONSE, "response has no choices: Upstream provider timed out",
	 NULL, 0, 0, NULL, NULL, NULL, 0, 0},
	{"oai", 200, NULL, "openai/no_message.json", NULL, ERR_INVALID_RESPONSE, "choices[0] has no message",
	 NULL, 0, 0, "stop", "gpt-4o-2024-08-06", "chatcmpl-x", 0, 0},
	{"oai", 200, NULL, "openai/empty_content.json", NULL, ERR_INVALID_RESPONSE, "empty response text (finish reason length)",
	 NULL, 30, 8192, "length", "gpt-5-mini-2025-08-07", "chatcmpl-len", 0, 0},
	{"oai", 200, NULL, "openai/content_filter.json", NULL, ERR_CONTENT_FILTERED, "output blocked by the provider's content filter",
	 NULL, 15, 0, "content_filter", "gpt-4o-2024-08-06", "chatcmpl-cf", 0, 0},
	{"oai", 200, NULL, "openai/refusal.json", NULL, ERR_CONTENT_FILTERED, "refused: I'm sorry, I can't assist with that request.",
	 NULL, 15, 11, "stop", "gpt-4o-2024-08-06", "chatcmpl-ref", 0, 0},
	{"oai", 200, NULL, "openai/not_json.html", NULL, ERR_INVALID_RESPONSE,
	 "response is not JSON (line 1 column 1: '[' or '{' expected near '<')", NULL, 0, 0, NULL, NULL, NULL, 0, 0},
	{"oai", 200, NULL, "openai/truncated.json", NULL, ERR_INVALID_RESPONSE,
	 "response is not JSON (line 1 column 77: premature end of input near '\"assist')", NULL, 0, 0, NULL, NULL, NULL, 0, 0},
	{"oai", 200, NULL, NULL, "", ERR_INVALID_RESPONSE, "response is not JSON (empty body)", NULL, 0, 0, NULL, NULL, NULL, 0, 0},
	{"oai", 200, NULL, NULL, "[1]", ERR_INVALID_RESPONSE, "response is not a JSON object", NULL, 0, 0, NULL, NULL, NULL, 0, 0},
	{"oai", 400, "x-request-id: req_400\r\n", "openai/error_400_temperature.json", NULL, ERR_INVALID_REQUEST,
	 "Unsupported value: 'temperature' does not support 0 with this model. Only the default (1) value is supported.",
	 NULL, 0, 0, NULL, NULL, "req_400", 0, 1},
	{"oai", 400, NULL, "openai/error_400_context.json", NULL, ERR_INVALID_REQUEST,
	 "This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens. Please reduce the length of the messages.",
	 NULL, 0, 0, NULL, NULL, NULL, 0, 0},
	{"oai", 401, NULL, "openai/error_401.json", NULL, ERR_AUTH,
	 "Incorrect API key provided: sk-test. You can find your API key at https://platform.openai.com/account/api-keys.",
	 NULL, 0, 0, NULL, NULL, NULL, 0, 0},
	{"oai", 403, NULL, "openai/error_403.json", NULL, ERR_AUTH, "Project `proj_abc` does not have access to model `gpt-5.1`",
	 NULL, 0, 0, NULL, NULL, NULL, 0, 0},
	{"oai", 404, NULL, "openai/error_404.json", NULL, ERR_NOT_FOUND, "The model `gpt-7` does not exist or you do not have access to it.",
	 NULL, 0, 0, NULL, NULL, NULL, 0, 0},
	{"oai", 429, "retry-after: 2\r\nx-request-id: req_429\r\nx-ratelimit-reset-requests: 6m0s\r\n", "openai/error_429_rate.json", NULL,
	 ERR_RATE_LIMITED,
	 "Rate limit reached for gpt-4o in organization org-abc on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms.",
	 NULL, 0, 0, NULL, NULL, "req_429", 2000, 0},
	{"oai", 429, "x-ratelimit-remaining-requests: 0\r\nx-ratelimit-reset-requests: 6m0s\r\n", "openai/error_429_rate.json", NULL,
	 ERR_RATE_LIMITED,
	 "Rate limit reached for gpt-4o in organization org-abc on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms.",
	 NULL, 0, 0, NULL, NULL, NULL, 360000, 0},
	{"oai", 429, NULL, "openai/error_429_quota.json", NULL, ERR_QUOTA,
	 "You exceeded your current quota, please check your plan and billing details.", NULL, 0, 0, NULL, NULL, NULL, 0, 0},
	{"oai", 500, NULL, "openai/error_500.json", NULL, ERR_SERVER,
	 "The server had an error while processing your request. Sorry about that!", NULL, 0, 0, NULL, NULL, NULL, 0, 0},
	{"oai", 503, "retry-after-ms: 1500\r\nretry-after: 2\r\n", "openai/error_503.json", NULL, ERR_SERVER,
	 "The engine is currently overloaded, please try again later", NULL, 0, 0, NULL, NULL, NULL, 1500, 0},
	{"oai", 502, NULL, "openai/not_json.html", NULL, ERR_SERVER,
	 "HTTP 502: <html> <head><title>502 Bad Gateway</title></head> <body>nginx</body> </html>", NULL, 0, 0, NULL, NULL, NULL, 0, 0},
	{"oai", 504, NULL, NULL, "", ERR_TIMEOUT, "HTTP 504 with an empty body", NULL, 0, 0, NULL, NULL, NULL, 0, 0},
	{"oai", 408, NULL, NULL, "", ERR_TIMEOUT, "HTTP 408 with an empty body", NULL, 0, 0, NULL, NULL, NULL, 0, 0},
	{"loc", 404, NULL, "openai/error_ollama_404.json", NULL, ERR_NOT_FOUND, "model \"llama9\" not found, try pulling it first",
	 NULL, 0, 0, NULL, NULL, NULL, 0, 0},
	{"mis", 422, NULL, "openai/error_mistral_422.json", NULL, ERR_INVALID_REQUEST,
	 "{\"detail\":[{\"input\":2,\"loc\":[\"body\",\"temperature\"],\"msg\":\"Input should be less than or equal to 1.5\",\"type\":\"less_than_equal\"}]}",
	 NULL, 0, 0, NULL, NULL, NULL, 0, 1},
	{"oai", 0, NULL, NULL, "", ERR_NETWORK, "no HTTP response", NULL, 0, 0, NULL, NULL, NULL, 0, 0},
	{"oai", 301, "location: https://example.org/\r\n", NULL, "", ERR_INVALID_RESPONSE, "unexpected HTTP status 301",
	 NULL, 0, 0, NULL, NULL, NULL, 0, 0},

	/* Anthropic */
	{"ant", 200, "request-id: req_011CV\r\n", "anthropic/success.json", NULL, ERR_NONE, NULL,
	 "Rating: 2\nTradition matters here.", 12, 34, "end_turn", "claude-sonnet-4-5-20250929", "msg_013Zva2CMHLNnXjNJJKqJ2EF", 0, 0},
	{"ant", 200, NULL, "anthropic/success_thinking.json", NULL, ERR_NONE, NULL,
	 "4", 50, 400, "max_tokens", "claude-haiku-4-5-20251001", "msg_think", 0, 0},
	{"ant", 200, NULL, "anthropic/refusal.json", NULL, ERR_CONTENT_FILTERED, "the model refused (stop reason refusal)",
	 NULL, 40, 0, "refusal", "claude-sonnet-4-5-20250929", "msg_refuse", 0, 0},
	{"ant", 200, NULL, "anthropic/empty.json", NULL, ERR_INVALID_RESPONSE, "empty response text (stop reason end_turn)",
	 NULL, 40, 1, "end_turn", "claude-sonnet-4-5-20250929", "msg_empty", 0, 0},
	{"ant", 200, NULL, "anthropic/no_content.json", NULL, ERR_INVALID_RESPONSE, "response has no content array",
	 NULL, 40, 1, "end_turn", "claude-sonnet-4-5-20250929", "msg_nocontent", 0, 0},
	{"ant", 400, "request-id: req_bad\r\n", "anthropic/error_400.json", NULL, ERR_INVALID_REQUEST,
	 "messages: roles must alternate between \"user\" and \"assistant\", but found multiple \"user\" roles in a row",
	 NULL, 0, 0, NULL, NULL, "req_bad", 0, 0},
	{"ant", 400, NULL, "anthropic/error_400_temperature.json", NULL, ERR_INVALID_REQUEST,
	 "`temperature` and `top_p` cannot both be specified for this model. Please use only one.", NULL, 0, 0, NULL, NULL, NULL, 0, 1},
	{"ant", 400, NULL, "anthropic/error_400_credit.json", NULL, ERR_QUOTA,
	 "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.",
	 NULL, 0, 0, NULL, NULL, NULL, 0, 0},
	{"ant", 401, NULL, "anthropic/error_401.json", NULL, ERR_AUTH, "invalid x-api-key", NULL, 0, 0, NULL, NULL, NULL, 0, 0},
	{"ant", 403, NULL, "anthropic/error_403.json", NULL, ERR_AUTH,
	 "Your API key does not have permission to use the specified resource.", NULL, 0, 0, NULL, NULL, NULL, 0, 0},
	{"ant", 404, NULL, "anthropic/error_404.json", NULL, ERR_NOT_FOUND, "model: claude-9", NULL, 0, 0, NULL, NULL, NULL, 0, 0},
	{"ant", 429, "retry-after: 15\r\nanthropic-ratelimit-requests-reset: 2026-01-01T00:01:00Z\r\n", "anthropic/error_429.json", NULL,
	 ERR_RATE_LIMITED, "This request would exceed the rate limit for your organization of 50 requests per minute.",
	 NULL, 0, 0, NULL, NULL, NULL, 15000, 0},
	{"ant", 429, "anthropic-ratelimit-requests-remaining: 0\r\nanthropic-ratelimit-requests-reset: 2026-01-01T00:01:00Z\r\n",
	 "anthropic/error_429.json", NULL, ERR_RATE_LIMITED,
	 "This request would exceed the rate limit for your organization of 50 requests per minute.", NULL, 0, 0, NULL, NULL, NULL, 60000, 0},
	{"ant", 500, NULL, "anthropic/error_500.json", NULL, ERR_SERVER, "Internal server error", NULL, 0, 0, NULL, NULL, NULL, 0, 0},
	{"ant", 529, NULL, "anthropic/error_529.json", NULL, ERR_SERVER, "Overloaded", NULL, 0, 0, NULL, NULL, NULL, 0, 0},
	{"ant", 402, NULL, "anthropic/error_billing.json", NULL, ERR_QUOTA,
	 "Your credit balance is too low to access the Anthropic API.", NULL, 0, 0, NULL, NULL, NULL, 0, 0},

	/* Gemini */
	{"gem", 200, NULL, "gemini/success.json", NULL, ERR_NONE, NULL,
	 "Decision: 5\nAutonomy decides it.", 12, 34, "STOP", "gemini-2.5-flash", "mAitaJvHLuGMz7IPxKfQ4Ak", 0, 0},
	{"gem", 200, NULL, "gemini/success_thoughts.json", NULL, ERR_NONE, NULL,
	 "3", 20, 251, "STOP", "gemini-2.5-pro", "resp-thoughts", 0, 0},
	{"gem", 200, NULL, "gemini/blocked_prompt.json", NULL, ERR_CONTENT_FILTERED, "prompt blocked (SAFETY)",
	 NULL, 25, 0, NULL, "gemini-2.5-pro", NULL, 0, 0},
	{"gem", 200, NULL, "gemini/finish_safety.json", NULL, ERR_CONTENT_FILTERED, "output blocked (finish reason SAFETY)",
	 NULL, 25, 0, "SAFETY", "gemini-2.5-pro", NULL, 0, 0},
	{"gem", 200, NULL, "gemini/finish_recitation.json", NULL, ERR_CONTENT_FILTERED, "output blocked (finish reason RECITATION)",
	 NULL, 25, 0, "RECITATION", "gemini-2.5-flash", NULL, 0, 0},
	{"gem", 200, NULL, "gemini/max_tokens_empty.json", NULL, ERR_INVALID_RESPONSE, "empty response text (finish reason MAX_TOKENS)",
	 NULL, 25, 8192, "MAX_TOKENS", "gemini-2.5-pro", NULL, 0, 0},
	{"gem", 200, NULL, "gemini/no_candidates.json", NULL, ERR_INVALID_RESPONSE, "response has no candidates",
	 NULL, 25, 0, NULL, "gemini-2.5-pro", NULL, 0, 0},
	{"gem", 400, NULL, "gemini/error_400.json", NULL, ERR_INVALID_REQUEST,
	 "Invalid JSON payload received. Unknown name \"temprature\" at 'generation_config': Cannot find field.",
	 NULL, 0, 0, NULL, NULL, NULL, 0, 0},
	{"gem", 400, NULL, "gemini/error_400_key.json", NULL, ERR_AUTH, "API key not valid. Please pass a valid API key.",
	 NULL, 0, 0, NULL, NULL, NULL, 0, 0},
	{"gem", 403, NULL, "gemini/error_403.json", NULL, ERR_AUTH,
	 "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
	 NULL, 0, 0, NULL, NULL, NULL, 0, 0},
	{"gem", 404, NULL, "gemini/error_404.json", NULL, ERR_NOT_FOUND,
	 "models/gemini-9-pro is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.",
	 NULL, 0, 0, NULL, NULL, NULL, 0, 0},
	{"gem", 429, NULL, "gemini/error_429.json", NULL, ERR_RATE_LIMITED,
	 "You exceeded your current quota, please check your plan and billing details. Please retry in 37.5s.",
	 NULL, 0, 0, NULL, NULL, NULL, 37000, 0},
	{"gem", 429, "retry-after: 60\r\n", "gemini/error_429.json", NULL, ERR_RATE_LIMITED,
	 "You exceeded your current quota, please check your plan and billing details. Please retry in 37.5s.",
	 NULL, 0, 0, NULL, NULL, NULL, 60000, 0},
	{"gem", 500, NULL, "gemini/error_500.json", NULL, ERR_SERVER,
	 "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
	 NULL, 0, 0, NULL, NULL, NULL, 0, 0},
	{"gem", 503, NULL, "gemini/error_503.json", NULL, ERR_SERVER, "The model is overloaded. Please try again later.",
	 NULL, 0, 0, NULL, NULL, NULL, 0, 0},
};

/* ck_assert_str_eq that also accepts two NULLs. */
static void check_opt_str(const char *zWhat, const char *zGot, const char *zWant, int i)
{
	if (!zWant) ck_assert_msg(zGot == NULL, "case %d: %s: want NULL, got \"%s\"", i, zWhat, zGot);
	else ck_assert_msg(zGot && strcmp(zGot, zWant) == 0, "case %d: %s: want \"%s\", got \"%s\"", i, zWhat, zWant,
	                   zGot ? zGot : "(null)");
}

START_TEST(test_parse_case)
{
	const ParseCase *pC = &aCase[_i];
	const ProviderConf *pProv = models_provider(pCat, pC->zProv);
	ProbeResult res;
	size_t nBody;
	char *zBody = pC->zFixture ? fixture_read(pC->zFixture, &nBody) : xstrdup(pC->zInline);
	int rc;
	if (!pC->zFixture) nBody = strlen(zBody);
	rc = provider_parse_response(pProv, pC->status, pC->zHeaders, zBody, nBody, NOW_MS, &res);
	ck_assert_msg(res.err == (ErrClass)pC->err, "case %d (%s): want %s, got %s (%s)", _i,
	              pC->zFixture ? pC->zFixture : "inline", err_class_name((ErrClass)pC->err), err_class_name(res.err),
	              res.zErrMessage ? res.zErrMessage : "");
	ck_assert_int_eq(rc, pC->err == ERR_NONE ? 0 : -1);
	ck_assert_int_eq(res.httpStatus, pC->status);
	check_opt_str("message", res.zErrMessage, pC->zMessage, _i);
	check_opt_str("text", res.zText, pC->zText, _i);
	check_opt_str("finish reason", res.zFinishReason, pC->zFinish, _i);
	check_opt_str("model version", res.zModelVersion, pC->zVersion, _i);
	check_opt_str("request id", res.zRequestId, pC->zRequestId, _i);
	ck_assert_msg(res.inputTokens == pC->in && res.outputTokens == pC->out, "case %d: tokens %lld/%lld", _i,
	              (long long)res.inputTokens, (long long)res.outputTokens);
	ck_assert_msg(res.retryAfterMs == pC->retryAfterMs, "case %d: retry after %lld", _i, (long long)res.retryAfterMs);
	ck_assert_int_eq(res.temperatureRejected, pC->tempRejected);
	probe_result_free(&res);
	free(zBody);
}
END_TEST

START_TEST(test_error_classes)
{
	ck_assert_str_eq(err_class_name(ERR_NONE), "none");
	ck_assert_str_eq(err_class_name(ERR_RATE_LIMITED), "rate_limited");
	ck_assert_str_eq(err_class_name(ERR_TIMEOUT), "timeout");
	ck_assert_str_eq(err_class_name(ERR_NETWORK), "network");
	ck_assert_str_eq(err_class_name(ERR_SERVER), "server_error");
	ck_assert_str_eq(err_class_name(ERR_AUTH), "auth");
	ck_assert_str_eq(err_class_name(ERR_INVALID_REQUEST), "invalid_request");
	ck_assert_str_eq(err_class_name(ERR_NOT_FOUND), "not_found");
	ck_assert_str_eq(err_class_name(ERR_MISSING_KEY), "missing_key");
	ck_assert_str_eq(err_class_name(ERR_INVALID_RESPONSE), "invalid_response");
	ck_assert_str_eq(err_class_name(ERR_CONTENT_FILTERED), "content_filtered");
	ck_assert_str_eq(err_class_name(ERR_QUOTA), "quota_exceeded");
	ck_assert_str_eq(err_class_name((ErrClass)99), "unknown");
	ck_assert_int_eq(err_class_from_name("server_error"), ERR_SERVER);
	ck_assert_int_eq(err_class_from_name("quota_exceeded"), ERR_QUOTA);
	ck_assert_int_eq(err_class_from_name("bogus"), -1);
	ck_assert(err_class_retryable(ERR_RATE_LIMITED));
	ck_assert(err_class_retryable(ERR_TIMEOUT));
	ck_assert(err_class_retryable(ERR_NETWORK));
	ck_assert(err_class_retryable(ERR_SERVER));
	ck_assert(!err_class_retryable(ERR_NONE));
	ck_assert(!err_class_retryable(ERR_AUTH));
	ck_assert(!err_class_retryable(ERR_INVALID_REQUEST));
	ck_assert(!err_class_retryable(ERR_NOT_FOUND));
	ck_assert(!err_class_retryable(ERR_MISSING_KEY));
	ck_assert(!err_class_retryable(ERR_INVALID_RESPONSE));
	ck_assert(!err_class_retryable(ERR_CONTENT_FILTERED));
	ck_assert(!err_class_retryable(ERR_QUOTA));
}
END_TEST

/* ---- headers and retry-after ---- */

START_TEST(test_header_lookup)
{
	char *z;
	const char *zBlock = "HTTP/1.1 100 Continue\r\nRetry-After: 9\r\n\r\n"
	                     "HTTP/1.1 429 Too Many Requests\r\nX-Request-ID:   req_1  \r\nContent-Type: application/json\r\n\r\n";
	z = http_header_get(zBlock, "x-request-id");
	ck_assert_str_eq(z, "req_1");
	free(z);
	/* Headers of an earlier response in the block do not count. */
	ck_assert_ptr_null(http_header_get(zBlock, "retry-after"));
	ck_assert_ptr_null(http_header_get(zBlock, "request-id"));
	ck_assert_ptr_null(http_header_get(NULL, "x"));
	z = http_header_get("a: 1\nb: 2\na: 3", "a");
	ck_assert_str_eq(z, "3");
	free(z);
}
END_TEST

START_TEST(test_retry_after_variants)
{
	ck_assert_int_eq(http_retry_after_ms("retry-after: 7\r\n", NOW_MS), 7000);
	ck_assert_int_eq(http_retry_after_ms("Retry-After: 1.5\r\n", NOW_MS), 1500);
	ck_assert_int_eq(http_retry_after_ms("retry-after: 1\r\nretry-after-ms: 250\r\n", NOW_MS), 250);
	ck_assert_int_eq(http_retry_after_ms("retry-after: Thu, 01 Jan 2026 00:01:00 GMT\r\n", NOW_MS), 60000);
	ck_assert_int_eq(http_retry_after_ms("retry-after: Wed, 31 Dec 2025 00:00:00 GMT\r\n", NOW_MS), 0);
	ck_assert_int_eq(http_retry_after_ms("x-ratelimit-reset-requests: 1s\r\n", NOW_MS), 1000);
	ck_assert_int_eq(http_retry_after_ms("x-ratelimit-reset-requests: 6m0s\r\n", NOW_MS), 360000);
	ck_assert_int_eq(http_retry_after_ms("x-ratelimit-reset-requests: 250ms\r\n", NOW_MS), 250);
	ck_assert_int_eq(http_retry_after_ms("anthropic-ratelimit-requests-reset: 2026-01-01T00:00:30Z\r\n", NOW_MS), 30000);
	ck_assert_int_eq(http_retry_after_ms("anthropic-ratelimit-requests-reset: 2026-01-01T00:00:30.250Z\r\n", NOW_MS), 30250);
	ck_assert_int_eq(http_retry_after_ms("anthropic-ratelimit-requests-reset: 2025-12-31T23:59:00Z\r\n", NOW_MS), 0);
	/* Unreadable values are skipped, and the next hint is used. */
	ck_assert_int_eq(http_retry_after_ms("retry-after: soon\r\nx-ratelimit-reset-requests: 2s\r\n", NOW_MS), 2000);
	ck_assert_int_eq(http_retry_after_ms("retry-after: -5\r\n", NOW_MS), 0);
	ck_assert_int_eq(http_retry_after_ms("", NOW_MS), 0);
	ck_assert_int_eq(http_retry_after_ms(NULL, NOW_MS), 0);
	/* Absurd waits are clamped to a day. */
	ck_assert_int_eq(http_retry_after_ms("retry-after: 9999999\r\n", NOW_MS), 86400000);
}
END_TEST

START_TEST(test_duration_and_time_parsing)
{
	ck_assert_int_eq(parse_duration_ms("1h2m3.5s"), 3723500);
	ck_assert_int_eq(parse_duration_ms("0"), 0);
	ck_assert_int_eq(parse_duration_ms("0.5s"), 500);
	ck_assert_int_eq(parse_duration_ms("1500us"), 2);
	ck_assert_int_eq(parse_duration_ms(""), -1);
	ck_assert_int_eq(parse_duration_ms("5"), -1);
	ck_assert_int_eq(parse_duration_ms("5x"), -1);
	ck_assert_int_eq(parse_duration_ms("-1s"), -1);
	ck_assert_int_eq(parse_rfc3339_ms("2026-01-01T00:00:00Z"), NOW_MS);
	ck_assert_int_eq(parse_rfc3339_ms("2026-01-01T01:00:00+01:00"), NOW_MS);
	ck_assert_int_eq(parse_rfc3339_ms("2025-12-31T19:00:00.5-05:00"), NOW_MS + 500);
	ck_assert_int_eq(parse_rfc3339_ms("2026-01-01T00:00:00"), -1);
	ck_assert_int_eq(parse_rfc3339_ms("2026-13-01T00:00:00Z"), -1);
	ck_assert_int_eq(parse_rfc3339_ms("2026-01-01"), -1);
	ck_assert_int_eq(parse_rfc3339_ms("2026-01-01T00:00:00Zjunk"), -1);
}
END_TEST

/* ---- health check ---- */

/* Parse a models-list fixture (or inline body) for provider zProv. Caller frees *pOut. */
static int parse_models(const char *zProv, int status, const char *zFixture, const char *zInline, ProviderHealth *pOut)
{
	size_t n;
	char *zBody = zFixture ? fixture_read(zFixture, &n) : xstrdup(zInline);
	int rc;
	if (!zFixture) n = strlen(zBody);
	rc = provider_parse_models_response(models_provider(pCat, zProv), status, NULL, zBody, n, pOut);
	free(zBody);
	return rc;
}

START_TEST(test_health_checks)
{
	ProviderHealth h;
	ck_assert_int_eq(parse_models("oai", 200, "openai/models.json", NULL, &h), 0);
	ck_assert_int_eq(h.connected, 1);
	ck_assert_int_eq(h.err, ERR_NONE);
	ck_assert_ptr_null(h.zErrMessage);
	ck_assert_int_eq(h.nModel, 2);
	ck_assert_str_eq(h.azModelId[0], "gpt-4o");
	ck_assert_str_eq(h.azModelId[1], "gpt-5-mini");
	provider_health_free(&h);

	ck_assert_int_eq(parse_models("ant", 200, "anthropic/models.json", NULL, &h), 0);
	ck_assert_int_eq(h.nModel, 2);
	ck_assert_str_eq(h.azModelId[1], "claude-haiku-4-5-20251001");
	provider_health_free(&h);

	ck_assert_int_eq(parse_models("gem", 200, "gemini/models.json", NULL, &h), 0);
	ck_assert_int_eq(h.nModel, 2);
	ck_assert_str_eq(h.azModelId[0], "gemini-2.5-pro");
	ck_assert_str_eq(h.azModelId[1], "gemini-2.5-flash");
	provider_health_free(&h);

	ck_assert_int_eq(parse_models("oai", 401, "openai/error_401.json", NULL, &h), -1);
	ck_assert_int_eq(h.connected, 0);
	ck_assert_int_eq(h.err, ERR_AUTH);
	ck_assert_str_eq(h.zErrMessage,
	                 "Incorrect API key provided: sk-test. You can find your API key at https://platform.openai.com/account/api-keys.");
	provider_health_free(&h);

	ck_assert_int_eq(parse_models("gem", 400, "gemini/error_400_key.json", NULL, &h), -1);
	ck_assert_int_eq(h.err, ERR_AUTH);
	provider_health_free(&h);

	ck_assert_int_eq(parse_models("ant", 529, "anthropic/error_529.json", NULL, &h), -1);
	ck_assert_int_eq(h.err, ERR_SERVER);
	ck_assert_str_eq(h.zErrMessage, "Overloaded");
	provider_health_free(&h);

	ck_assert_int_eq(parse_models("oai", 0, NULL, "", &h), -1);
	ck_assert_int_eq(h.err, ERR_NETWORK);
	ck_assert_str_eq(h.zErrMessage, "no HTTP response");
	provider_health_free(&h);

	ck_assert_int_eq(parse_models("oai", 200, "openai/models_bad.json", NULL, &h), -1);
	ck_assert_int_eq(h.connected, 0);
	ck_assert_int_eq(h.err, ERR_INVALID_RESPONSE);
	ck_assert_str_eq(h.zErrMessage, "models list: data[0].id is not a string");
	provider_health_free(&h);

	ck_assert_int_eq(parse_models("oai", 200, NULL, "{\"object\": \"list\"}", &h), -1);
	ck_assert_str_eq(h.zErrMessage, "models list has no \"data\" array");
	provider_health_free(&h);

	ck_assert_int_eq(parse_models("gem", 200, NULL, "<html>", &h), -1);
	ck_assert_str_eq(h.zErrMessage, "models list is not a JSON object (line 1 column 1: '[' or '{' expected near '<')");
	provider_health_free(&h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("providers");
	TCase *tcBuild = tcase_create("build");
	TCase *tcParse = tcase_create("parse");
	TCase *tcMeta = tcase_create("headers");

	tcase_add_checked_fixture(tcBuild, setup, teardown);
	tcase_add_test(tcBuild, test_openai_single_turn_no_temperature);
	tcase_add_test(tcBuild, test_openai_multi_turn_system_temperature_zero_sends_seed);
	tcase_add_test(tcBuild, test_openai_nonzero_temperature_has_no_seed_and_version_is_chosen);
	tcase_add_test(tcBuild, test_openai_reasoning_families_take_max_completion_tokens);
	tcase_add_test(tcBuild, test_openai_retry_without_temperature);
	tcase_add_test(tcBuild, test_mistral_random_seed_and_trailing_slash);
	tcase_add_test(tcBuild, test_local_server_needs_no_key);
	tcase_add_test(tcBuild, test_request_overrides_merge);
	tcase_add_test(tcBuild, test_body_is_byte_stable);
	tcase_add_test(tcBuild, test_anthropic_requests);
	tcase_add_test(tcBuild, test_gemini_requests);
	tcase_add_test(tcBuild, test_build_errors);
	tcase_add_test(tcBuild, test_models_requests);
	suite_add_tcase(s, tcBuild);

	tcase_add_checked_fixture(tcParse, setup, teardown);
	tcase_add_loop_test(tcParse, test_parse_case, 0, (int)ARRAY_SIZE(aCase));
	tcase_add_test(tcParse, test_error_classes);
	tcase_add_test(tcParse, test_health_checks);
	suite_add_tcase(s, tcParse);

	tcase_add_test(tcMeta, test_header_lookup);
	tcase_add_test(tcMeta, test_retry_after_variants);
	tcase_add_test(tcMeta, test_duration_and_time_parsing);
	suite_add_tcase(s, tcMeta);

	return check_run(s);
}
