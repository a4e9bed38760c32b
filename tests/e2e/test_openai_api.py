"""The OpenAI-compatible API driven by OpenAI's own Python client (the
`openai` package), unchanged, against the real server and the real default
models: models, chat (plain and streamed), embeddings, concurrency, and the
errors a client sees (unknown model, bad role, context overflow, busy)."""
import math
import os
import pathlib
import threading

import openai
import pytest

from conftest import ADMIN_KEY, KilnServer

CACHE = pathlib.Path(os.environ.get("KILN_CACHE", pathlib.Path.home() / ".cache" / "kiln"))
SMOLLM2 = CACHE / "models" / "smollm2-135m-instruct-q4_1.gguf"
MINILM = CACHE / "models" / "all-minilm-l6-v2-f32.gguf"


def start_server(*extra):
    binary = os.environ.get("KILN_BIN")
    if not binary:
        pytest.fail("KILN_BIN must name the kiln binary (make test sets it)")
    for path in (SMOLLM2, MINILM):
        if not path.exists():
            pytest.fail(f"{path} is missing: scripts/setup fetches it")
    server = KilnServer(binary, ["--model", f"smollm2={SMOLLM2}", "--model", f"minilm={MINILM}",
                                 *extra])
    server.start()
    return server


@pytest.fixture(scope="module")
def server():
    s = start_server()
    yield s
    s.close()


@pytest.fixture
def client(server):
    return openai.OpenAI(base_url=server.url + "/v1", api_key=ADMIN_KEY, max_retries=0)


QUESTION = [{"role": "system", "content": "You are a concise assistant."},
            {"role": "user", "content": "Name three colours."}]


def test_lists_and_retrieves_the_loaded_models(client):
    ids = [m.id for m in client.models.list()]
    assert ids == ["smollm2", "minilm"]
    model = client.models.retrieve("smollm2")
    assert model.id == "smollm2" and model.object == "model" and model.owned_by == "kiln"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")


def test_plain_chat_answers_and_counts_tokens(client):
    r = client.chat.completions.create(model="smollm2", messages=QUESTION, max_tokens=24,
                                       temperature=0)
    assert r.object == "chat.completion"
    assert r.model == "smollm2"
    choice = r.choices[0]
    assert choice.message.role == "assistant"
    assert isinstance(choice.message.content, str) and choice.message.content.strip()
    assert choice.finish_reason in ("stop", "length")
    assert r.usage.prompt_tokens > 10
    assert 0 < r.usage.completion_tokens <= 24
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens
    # The second time the whole prompt but its last token comes from the
    # prefix cache (whole pages, then the rows of the last one copied), and
    # greedy decoding from the same cache is deterministic. (The cold answer
    # may differ: one token alone runs on other kernels than a whole prompt,
    # with another float summation order, which can flip a near tie.)
    again = client.chat.completions.create(model="smollm2", messages=QUESTION, max_tokens=24,
                                           temperature=0)
    assert again.usage.prompt_tokens_details.cached_tokens == again.usage.prompt_tokens - 1
    assert again.choices[0].message.content.strip()
    third = client.chat.completions.create(model="smollm2", messages=QUESTION, max_tokens=24,
                                           temperature=0)
    assert third.usage.prompt_tokens_details.cached_tokens == third.usage.prompt_tokens - 1
    assert third.choices[0].message.content == again.choices[0].message.content


def test_streaming_sends_the_same_text_in_chunks_then_usage(client):
    plain = client.chat.completions.create(model="smollm2", messages=QUESTION, max_tokens=20,
                                           temperature=0)
    stream = client.chat.completions.create(model="smollm2", messages=QUESTION, max_tokens=20,
                                            temperature=0, stream=True,
                                            stream_options={"include_usage": True})
    pieces, finish, usage, chunks = [], None, None, 0
    for chunk in stream:
        chunks += 1
        assert chunk.object == "chat.completion.chunk"
        if chunk.usage is not None:
            usage = chunk.usage
            assert chunk.choices == []
            continue
        delta = chunk.choices[0].delta
        if delta.content:
            pieces.append(delta.content)
        if chunk.choices[0].finish_reason:
            finish = chunk.choices[0].finish_reason
    assert "".join(pieces) == plain.choices[0].message.content
    assert len(pieces) > 3  # token by token, not one block
    assert finish == plain.choices[0].finish_reason
    assert usage is not None and usage.completion_tokens == plain.usage.completion_tokens


def test_stop_sequences_and_seeded_sampling(client):
    r = client.chat.completions.create(
        model="smollm2", messages=[{"role": "user", "content": "Count: one, two, three, four"}],
        max_tokens=40, temperature=0, stop=[","])
    assert "," not in r.choices[0].message.content
    a = client.chat.completions.create(model="smollm2", messages=QUESTION, max_tokens=16,
                                       temperature=0.9, seed=7)
    b = client.chat.completions.create(model="smollm2", messages=QUESTION, max_tokens=16,
                                       temperature=0.9, seed=7)
    assert a.choices[0].message.content == b.choices[0].message.content


def test_embeddings_as_floats_and_base64(client):
    texts = ["The cat sat on the mat.", "A cat was sitting on a rug.", "Quarterly tax filing rules."]
    floats = client.embeddings.create(model="minilm", input=texts, encoding_format="float")
    b64 = client.embeddings.create(model="minilm", input=texts)  # the client asks for base64
    assert [d.index for d in floats.data] == [0, 1, 2]
    vecs = [d.embedding for d in floats.data]
    assert all(len(v) == 384 for v in vecs)
    for v, w in zip(vecs, (d.embedding for d in b64.data)):
        assert all(abs(x - y) < 1e-6 for x, y in zip(v, w))
        assert abs(math.sqrt(sum(x * x for x in v)) - 1) < 1e-4

    def cos(a, b):
        return sum(x * y for x, y in zip(a, b))

    assert cos(vecs[0], vecs[1]) > cos(vecs[0], vecs[2]) + 0.2
    assert floats.usage.prompt_tokens > 10
    short = client.embeddings.create(model="minilm", input="hello", dimensions=64,
                                     encoding_format="float")
    assert len(short.data[0].embedding) == 64


def test_errors_come_in_openai_shape(client, server):
    with pytest.raises(openai.NotFoundError) as e:
        client.chat.completions.create(model="no-such-model", messages=QUESTION)
    assert "no-such-model" in e.value.message
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model="smollm2",
                                       messages=[{"role": "robot", "content": "hi"}])
    assert "role" in e.value.message
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(
            model="smollm2", messages=[{"role": "user", "content": "word " * 5000}])
    assert "context" in e.value.message
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="minilm", messages=QUESTION)
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model="smollm2", input="hi")
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="smollm2", messages=QUESTION, n=2)
    bad_key = openai.OpenAI(base_url=server.url + "/v1", api_key="nope", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad_key.models.list()
    # ... and the server keeps serving.
    assert client.chat.completions.create(model="smollm2", messages=QUESTION, max_tokens=2)


def test_concurrent_streams_all_complete(client):
    results, errors = {}, []

    def run(i):
        try:
            stream = client.chat.completions.create(
                model="smollm2", messages=[{"role": "user", "content": f"Say the number {i}."}],
                max_tokens=16, temperature=0, stream=True)
            results[i] = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        except Exception as ex:  # noqa: BLE001 - reported below
            errors.append(ex)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert sorted(results) == list(range(6)) and all(results.values())


def test_a_full_queue_is_429_and_a_dropped_stream_frees_its_slot():
    s = start_server("--max-running", "1", "--max-queue", "0")
    try:
        client = openai.OpenAI(base_url=s.url + "/v1", api_key=ADMIN_KEY, max_retries=0)
        long = client.chat.completions.create(
            model="smollm2", messages=[{"role": "user", "content": "Write a long story."}],
            max_tokens=2000, temperature=0, stream=True)
        next(iter(long))  # it is running
        with pytest.raises(openai.RateLimitError) as e:
            client.chat.completions.create(model="smollm2", messages=QUESTION, max_tokens=4)
        assert e.value.response.headers.get("retry-after")
        long.close()  # the client goes away: its slot frees at once
        for _ in range(50):
            try:
                r = client.chat.completions.create(model="smollm2", messages=QUESTION,
                                                   max_tokens=4)
                break
            except openai.RateLimitError:
                import time
                time.sleep(0.1)
        else:
            pytest.fail("the dropped stream kept its slot")
        assert r.choices[0].message.content
    finally:
        s.close()


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "maxLength": 40},
                           "unit": {"enum": ["celsius", "fahrenheit"]}},
            "required": ["city", "unit"],
        },
    },
}


def test_tool_calling_round_trip(client):
    import json as jsonlib
    import jsonschema

    messages = [{"role": "user", "content": "What is the weather in Paris right now?"}]
    first = client.chat.completions.create(model="smollm2", messages=messages,
                                           tools=[WEATHER_TOOL], tool_choice="required",
                                           temperature=0)
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    call = choice.message.tool_calls[0]
    assert call.type == "function" and call.function.name == "get_weather"
    args = jsonlib.loads(call.function.arguments)
    jsonschema.validate(args, WEATHER_TOOL["function"]["parameters"])
    # The result goes back; the model answers in words.
    messages += [choice.message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.id,
                  "content": jsonlib.dumps({"temperature": 21, "sky": "sunny"})}]
    second = client.chat.completions.create(model="smollm2", messages=messages,
                                            tools=[WEATHER_TOOL], tool_choice="none",
                                            max_tokens=40, temperature=0)
    assert second.choices[0].message.content
    assert second.choices[0].message.tool_calls is None
    # Named choice, streamed: the call arrives as a tool_calls delta.
    stream = client.chat.completions.create(
        model="smollm2", messages=[{"role": "user", "content": "Weather in Oslo, in fahrenheit?"}],
        tools=[WEATHER_TOOL], tool_choice={"type": "function", "function": {"name": "get_weather"}},
        temperature=0, stream=True)
    deltas, finish = [], None
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.tool_calls:
            deltas += chunk.choices[0].delta.tool_calls
        if chunk.choices and chunk.choices[0].finish_reason:
            finish = chunk.choices[0].finish_reason
    assert finish == "tool_calls"
    assert deltas[0].function.name == "get_weather"
    jsonschema.validate(jsonlib.loads(deltas[0].function.arguments),
                        WEATHER_TOOL["function"]["parameters"])


def test_json_schema_output_always_parses_and_validates(client):
    import json as jsonlib
    import jsonschema

    schema = {"type": "object",
              "properties": {"name": {"type": "string", "maxLength": 30},
                             "legs": {"type": "integer"},
                             "colours": {"type": "array", "items": {"type": "string", "maxLength": 12},
                                         "maxItems": 3},
                             "pet": {"type": "boolean"}},
              "required": ["name", "legs", "colours", "pet"], "additionalProperties": False}
    for animal, temperature in [("a cat", 0), ("a spider", 0.8), ("a parrot", 1.2)]:
        r = client.chat.completions.create(
            model="smollm2", messages=[{"role": "user", "content": f"Describe {animal}."}],
            response_format={"type": "json_schema",
                             "json_schema": {"name": "animal", "schema": schema, "strict": True}},
            temperature=temperature, seed=1, max_tokens=200)
        doc = jsonlib.loads(r.choices[0].message.content)
        jsonschema.validate(doc, schema)
        assert list(doc) == ["name", "legs", "colours", "pet"]  # the schema's order
    r = client.chat.completions.create(model="smollm2", messages=QUESTION,
                                       response_format={"type": "json_object"}, max_tokens=100,
                                       temperature=0)
    assert isinstance(jsonlib.loads(r.choices[0].message.content), dict)
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(
            model="smollm2", messages=QUESTION,
            response_format={"type": "json_schema",
                             "json_schema": {"name": "x", "schema": {"type": "string",
                                                                     "pattern": "^a"}}})
    assert "pattern" in e.value.message
