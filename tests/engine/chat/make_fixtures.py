#!/usr/bin/env python3
"""Regenerates tests/engine/chat/fixtures/*.json: reference renderings of chat templates.

The reference is jinja2 configured the way Hugging Face transformers renders chat templates
(transformers.utils.chat_template_utils._compile_jinja_template):
    ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                  extensions=[AssistantTracker, jinja2.ext.loopcontrols])
with `tojson` replaced by json.dumps(x, ensure_ascii=False, indent=None, separators=None,
sort_keys=False) and `raise_exception` / `strftime_now` added as globals. (AssistantTracker only
adds the `{% generation %}` tag, which renders its body.) keep_trailing_newline stays False.

Gemma has no template in its GGUF; its fixtures come from an independent Python implementation
of the format (gemma_reference below), and this script also checks that Kiln's built-in Gemma and
ChatML templates, rendered by jinja2, agree with the Python implementations.

Run with the project venv (jinja2==3.1.6, gguf):
    /root/.cache/kiln/venv/bin/python tests/engine/chat/make_fixtures.py
"""
import json
import os
import re
import sys
from pathlib import Path

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
TEMPLATES = HERE / "templates"
FIXTURES = HERE / "fixtures"
SMOLLM2_GGUF = Path(os.environ.get("HOME", "/root")) / ".cache/kiln/models/smollm2-135m-instruct-q4_1.gguf"


def environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[jinja2.ext.loopcontrols])

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                          sort_keys=sort_keys)

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    return env


def msg(role, content):
    return {"role": role, "content": content}


TRICKY = [
    msg("user", 'Braces {{ not a tag }} and {% if x %}, quotes "double" \'single\',\nnew\nlines\n'),
    msg("assistant", "  leading and trailing spaces\t \n"),
    msg("user", "Backslash C:\\path\\n, emoji 🚀, {# hash #} and {%- endif -%}"),
]

CONVERSATIONS = {
    "single": [msg("user", "Hello!")],
    "multi_system": [msg("system", "You are a terse assistant."), msg("user", "What is 2+2?"),
                     msg("assistant", "4."), msg("user", "And 3+3?")],
    "no_system": [msg("user", "Hi"), msg("assistant", "Hello! How can I help?"),
                  msg("user", "Tell me a joke.")],
    "chinese": [msg("system", "你是一个乐于助人的助手。"), msg("user", "你好，世界！请介绍一下北京。"),
                msg("assistant", "北京是中国的首都。"), msg("user", "谢谢！")],
    "tricky": TRICKY,
}

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. 北京"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city"],
        },
    },
}
TOOL_CALL = {"type": "function",
             "function": {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}}
TOOL_CONVERSATION = [
    msg("system", "You can look up the weather."),
    msg("user", "Weather in Paris?"),
    {"role": "assistant", "content": "", "tool_calls": [TOOL_CALL]},
    msg("tool", '{"temperature": 21, "sky": "clear"}'),
    msg("assistant", "It is 21°C and clear."),
    msg("user", "Thanks"),
]


def basic_cases(bos, eos, conversations=CONVERSATIONS):
    cases = []
    for name, messages in conversations.items():
        for agp in (True, False):
            cases.append({"name": f"{name}_{'gen' if agp else 'nogen'}",
                          "variables": {"messages": messages, "add_generation_prompt": agp,
                                        "bos_token": bos, "eos_token": eos}})
    return cases


def extra_cases(template_name, bos, eos):
    def case(name, messages, agp=True, **extra):
        v = {"messages": messages, "add_generation_prompt": agp, "bos_token": bos, "eos_token": eos}
        v.update(extra)
        return {"name": name, "variables": v}

    if template_name == "llama3":
        two_calls = dict(TOOL_CONVERSATION[2], tool_calls=[TOOL_CALL, TOOL_CALL])
        return [case("tools_in_user", TOOL_CONVERSATION, tools=[WEATHER_TOOL]),
                case("tools_in_system", TOOL_CONVERSATION, tools=[WEATHER_TOOL],
                     tools_in_user_message=False, date_string="01 Jan 2025"),
                case("builtin_tools", [msg("user", "Run code")],
                     builtin_tools=["code_interpreter", "brave_search"]),
                case("two_tool_calls_error", [msg("user", "x"), two_calls], tools=[WEATHER_TOOL])]
    if template_name == "qwen25_tools":
        return [case("tools", TOOL_CONVERSATION, tools=[WEATHER_TOOL]),
                case("tools_no_system", TOOL_CONVERSATION[1:4] + [msg("tool", "second result")],
                     tools=[WEATHER_TOOL, {"type": "function", "function": {"name": "noop"}}])]
    if template_name == "qwen3_thinking":
        thinking = [msg("user", "Why is the sky blue?"),
                    msg("assistant", "<think>\nRayleigh scattering.\n</think>\n\nBecause of scattering."),
                    msg("user", "And sunsets?")]
        last_turn = thinking[:2]
        return [case("thinking_history", thinking),
                case("thinking_last_turn", last_turn, agp=False),
                case("no_thinking", thinking, enable_thinking=False),
                case("tools", TOOL_CONVERSATION, tools=[WEATHER_TOOL])]
    if template_name == "mistral":
        return [case("alternation_error", [msg("user", "a"), msg("user", "b")]),
                case("bad_role_error", [msg("user", "a"), msg("assistant", "b"), msg("tool", "c")])]
    return []


def gemma_reference(messages, add_generation_prompt):
    """Gemma's turn format, written independently of the built-in Jinja template."""
    out = []
    prefix = None
    rest = list(messages)
    if rest and rest[0]["role"] == "system":
        system = rest.pop(0)["content"]
        if any(m["role"] == "user" for m in rest):
            prefix = system + "\n\n"
        else:
            out.append("<start_of_turn>user\n" + system.strip() + "<end_of_turn>\n")
    for m in rest:
        role = {"assistant": "model", "system": "user"}.get(m["role"], m["role"])
        content = m["content"].strip()
        if prefix is not None and role == "user":
            content, prefix = prefix + content, None
        out.append(f"<start_of_turn>{role}\n{content}<end_of_turn>\n")
    if add_generation_prompt:
        out.append("<start_of_turn>model\n")
    return "".join(out)


def chatml_reference(messages, add_generation_prompt):
    out = [f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages]
    if add_generation_prompt:
        out.append("<|im_start|>assistant\n")
    return "".join(out)


def builtin_source(name):
    """The Jinja text of a built-in template, read from engine/chat/chat_template.cc."""
    cc = (ROOT / "engine/chat/chat_template.cc").read_text()
    m = re.search(r"constexpr std::string_view k%s = R\"\((.*?)\)\";" % name, cc, re.S)
    if not m:
        sys.exit(f"built-in template k{name} not found in chat_template.cc")
    return m.group(1)


def render_cases(env, source, cases):
    template = env.from_string(source)
    for c in cases:
        try:
            c["expected"] = template.render(**c["variables"])
        except jinja2.exceptions.TemplateError as e:
            c["error"] = str(e)
    return cases


def smollm2_template():
    stored = TEMPLATES / "smollm2.jinja"
    if SMOLLM2_GGUF.exists():
        import gguf
        source = gguf.GGUFReader(str(SMOLLM2_GGUF)).fields["tokenizer.chat_template"].contents()
        stored.write_text(source)
    return stored.read_text()


def write(name, fixture):
    path = FIXTURES / f"{name}.json"
    path.write_text(json.dumps(fixture, ensure_ascii=False, indent=1) + "\n")
    n_err = sum("error" in c for c in fixture["cases"])
    print(f"{path.relative_to(ROOT)}: {len(fixture['cases'])} cases ({n_err} expected errors)")


def main():
    env = environment()
    FIXTURES.mkdir(exist_ok=True)
    sources = {
        "smollm2": (smollm2_template(), "<|im_start|>", "<|im_end|>"),
        "llama3": ((TEMPLATES / "llama3.jinja").read_text(), "<|begin_of_text|>", "<|eot_id|>"),
        "qwen25_tools": ((TEMPLATES / "qwen25_tools.jinja").read_text(), "", "<|im_end|>"),
        "qwen3_thinking": ((TEMPLATES / "qwen3_thinking.jinja").read_text(), "", "<|im_end|>"),
        "mistral": ((TEMPLATES / "mistral.jinja").read_text(), "<s>", "</s>"),
        "phi3": ((TEMPLATES / "phi3.jinja").read_text(), "<s>", "<|endoftext|>"),
        "features": ((TEMPLATES / "features.jinja").read_text(), "<s>", "</s>"),
    }
    for name, (source, bos, eos) in sources.items():
        convs = CONVERSATIONS
        if name == "mistral":  # roles must alternate: drop the conversation that does not
            convs = {k: v for k, v in CONVERSATIONS.items() if k != "tricky"}
        cases = basic_cases(bos, eos, convs) + extra_cases(name, bos, eos)
        write(name, {"template": source, "cases": render_cases(env, source, cases)})

    # Built-ins: the Python reference is the answer key; jinja2 must agree with it too.
    gemma_convs = dict(CONVERSATIONS)
    gemma_convs.update({
        "system_only": [msg("system", "Be brief.")],
        "system_then_model_first": [msg("system", "Sys"), msg("assistant", "Hi there"),
                                    msg("user", "Hello")],
        "mid_system": [msg("user", "a"), msg("system", "b"), msg("assistant", "c")],
        "empty": [],
    })
    for name, reference, convs in (("gemma", gemma_reference, gemma_convs),
                                   ("chatml", chatml_reference, CONVERSATIONS)):
        cases = basic_cases("<bos>", "<eos>", convs)
        source = builtin_source(name.capitalize() if name == "gemma" else "ChatMl")
        template = env.from_string(source)
        for c in cases:
            v = c["variables"]
            c["expected"] = reference(v["messages"], v["add_generation_prompt"])
            jinja_out = template.render(**v)
            if jinja_out != c["expected"]:
                sys.exit(f"built-in {name} disagrees with its Python reference on {c['name']}:\n"
                         f"{jinja_out!r}\n{c['expected']!r}")
        write(name, {"builtin": name, "cases": cases})


if __name__ == "__main__":
    main()
