#!/usr/bin/env python3
# Turns every `Example:` block of converge's headers into Catch2 test cases, so no example can rot.
# SPDX-License-Identifier: MIT
"""Usage: extract_examples.py --out-dir DIR --include-dir DIR HEADER...

Writes one translation unit per HEADER, DIR/<path of HEADER under --include-dir>.cpp, holding
one Catch2 TEST_CASE per `Example:` block of that header. Exits 1, naming file and line, when a
block breaks the conventions below or when the headers hold no example at all.

How an example is written (the house convention; every public header follows it):

  * A doc comment (`///`) introduces it with a line that reads `Example:` and nothing else,
    followed at once by a fenced code block (a line of three backticks, optionally with a
    language, then the code, then a line of three backticks), every line inside `///`.
    An `Example:` line with anything after it (an inline example), an `Examples:` line, or
    one without a block right below it is an error: it would otherwise go unchecked. One
    `Example:` per block; a header may have several.

  * The code is the body of a function: a series of statements that compiles as written
    after `#include <converge/converge.hpp>` and its own header (so `<converge/fmt.hpp>`
    examples may use fmt), with `<cassert>`, `<string>`, `<vector>` and `<cstdint>` available.
    It names everything from converge with `converge::`, and sets up what it uses: no free
    variables, no undefined helpers.

  * Promises are code. Where the text would say what a value is (`// 3`, `// b.value() == 3`,
    `// prints -4`), write `assert(b.value() == 3);` (or `static_assert` for what is known
    at compile time) instead; a comment may explain *why*. The test undefines NDEBUG, so
    assert() is on in every build type and a wrong promise fails the test. A comment that holds `==` or is only a number is an error: it is an unchecked
    promise.

  * An example that needs declarations at namespace scope (a type, a specialisation) is a
    whole program instead: the declarations, then a line `int main() {` at column 0, its
    statements and the closing `}` at column 0, with no `return 0;` (main returns 0 by
    itself). The test compiles it at global scope with main renamed to a void function, so a
    `return 0;` fails to compile, and calls that function.
    Whole-program examples of one header share a translation unit, so their names must not
    clash.

Each test case is named after its header and the example's number within it, e.g.
"pn_counter.hpp example 1 runs and its asserts hold", tagged [header_example]. `#line`
directives point compiler errors, failed asserts and Catch2's reports at the header's lines.
"""
import argparse
import pathlib
import re
import sys

EXAMPLE_LINE = re.compile(r"^\s*///\s*Examples?:(.*)$")
DOC_LINE = re.compile(r"^\s*///(?: ?)(.*)$")
FENCE = re.compile(r"^```\s*([A-Za-z+]*)\s*$")
MAIN_LINE = re.compile(r"^int main\(\)\s*\{\s*$")
NUMBER_ONLY = re.compile(r"^[-+]?\d+$")


class ExampleError(Exception):
    def __init__(self, path, line, message):
        super().__init__(f"{path}:{line}: error: {message}")


class Example:
    def __init__(self, header, number, example_line, first_code_line, code):
        self.header = header                  # pathlib.Path of the header
        self.number = number                  # 1-based within the header
        self.example_line = example_line      # line of `Example:`
        self.first_code_line = first_code_line
        self.code = code                      # lines, `///` stripped
        self.whole_program = any(MAIN_LINE.match(line) for line in code)


def comments_of(line):
    """The texts of the comments on a line of code; skips string and character literals."""
    found = []
    quote = None
    i = 0
    while i < len(line):
        c = line[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif line.startswith("//", i):
            found.append(line[i + 2:].strip())
            break
        elif line.startswith("/*", i):
            end = line.find("*/", i + 2)
            end = len(line) if end < 0 else end
            found.append(line[i + 2:end].strip())
            i = end + 1
        i += 1
    return found


def check_promises(example):
    for offset, line in enumerate(example.code):
        for comment in comments_of(line):
            if "==" not in comment and not NUMBER_ONLY.match(comment):
                continue
            raise ExampleError(example.header, example.first_code_line + offset,
                               f"the comment `{comment}` promises a value; write it as "
                               "`assert(...);` so the example test checks it")


def check_whole_program(example):
    mains = [i for i, line in enumerate(example.code) if MAIN_LINE.match(line)]
    if len(mains) > 1:
        raise ExampleError(example.header, example.first_code_line + mains[1],
                           "a second `int main() {` in one example")
    if not mains:
        return
    closing = [line for line in example.code[mains[0]:] if line.strip()]
    if closing[-1] != "}":
        raise ExampleError(example.header, example.first_code_line + len(example.code) - 1,
                           "a whole-program example ends with main's closing `}` at column 0")


def examples_in(header):
    lines = header.read_text(encoding="utf-8").splitlines()
    found = []
    i = 0
    while i < len(lines):
        m = EXAMPLE_LINE.match(lines[i])
        if not m:
            i += 1
            continue
        example_line = i + 1
        if "Examples:" in lines[i]:
            raise ExampleError(header, example_line,
                               "write one `Example:` line per code block, not `Examples:`")
        if m.group(1).strip():
            raise ExampleError(
                header, example_line,
                "`Example:` has text after it; put the example in a fenced code block "
                "(```) on the `///` lines below, so that it is compiled and run")
        doc = DOC_LINE.match(lines[i + 1]) if i + 1 < len(lines) else None
        if not doc or not FENCE.match(doc.group(1)):
            raise ExampleError(header, example_line,
                               "`Example:` with no code block: the next `///` line must open "
                               "a fenced block (```)")
        code = []
        j = i + 2
        while True:
            doc = DOC_LINE.match(lines[j]) if j < len(lines) else None
            if not doc:
                raise ExampleError(header, example_line,
                                   "the example's code block is not closed with ``` before "
                                   "the doc comment ends")
            if doc.group(1).strip() == "```":
                break
            code.append(doc.group(1).rstrip())
            j += 1
        if not any(line.strip() for line in code):
            raise ExampleError(header, example_line, "the example's code block is empty")
        example = Example(header, len(found) + 1, example_line, i + 3, code)
        check_promises(example)
        check_whole_program(example)
        found.append(example)
        i = j + 1
    return found


def c_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def translation_unit(header_include, header, examples, out_path):
    lines = [
        f"// Generated by tests/header_examples/extract_examples.py from <{header_include}>;",
        "// edit the header's Example: blocks, not this file.",
        "#undef NDEBUG  // an example's asserts are its promises: always checked",
        "#include <cassert>",
        "#include <cstdint>",
        "#include <string>",
        "#include <vector>",
        "",
        "#include <converge/converge.hpp>",
        f"#include <{header_include}>",
    ]
    if examples:
        lines.append("#include <catch2/catch.hpp>")
    header_name = c_string(str(header.resolve()))
    out_name = c_string(str(out_path.resolve()))

    def back_to_generated():
        # #line N says that the *next* line is N.
        lines.append(f"#line {len(lines) + 2} {out_name}")

    stem = header_include.removeprefix("converge/")
    for ex in examples:
        name = f"{stem} example {ex.number} runs and its asserts hold"
        tag = pathlib.PurePosixPath(stem).stem
        lines.append("")
        if ex.whole_program:
            function = f"converge_header_example_{ex.number}"
            lines.append(f"#line {ex.first_code_line} {header_name}")
            for code in ex.code:
                lines.append(f"static void {function}() {{" if MAIN_LINE.match(code) else code)
            back_to_generated()
            lines.append(f"#line {ex.example_line} {header_name}")
            lines.append(f"TEST_CASE({c_string(name)}, \"[header_example][{tag}]\") {{ {function}(); }}")
            back_to_generated()
        else:
            lines.append(f"#line {ex.example_line} {header_name}")
            lines.append(f"TEST_CASE({c_string(name)}, \"[header_example][{tag}]\") {{")
            lines.append(f"#line {ex.first_code_line} {header_name}")
            lines.extend("    " + code if code else "" for code in ex.code)
            back_to_generated()
            lines.append("}")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", required=True, type=pathlib.Path)
    parser.add_argument("--include-dir", required=True, type=pathlib.Path)
    parser.add_argument("headers", nargs="+", type=pathlib.Path)
    args = parser.parse_args()

    include_dir = args.include_dir.resolve()
    total = 0
    outputs = []
    try:
        for header in args.headers:
            include = header.resolve().relative_to(include_dir).as_posix()
            examples = examples_in(header)
            total += len(examples)
            out_path = args.out_dir / f"{include}.cpp"
            outputs.append((out_path, translation_unit(include, header, examples, out_path)))
    except ExampleError as e:
        print(e, file=sys.stderr)
        return 1
    if total == 0:
        print(f"{include_dir}: error: no `Example:` blocks found in {len(args.headers)} headers; "
              "the extractor or the headers' convention has broken", file=sys.stderr)
        return 1

    for out_path, text in outputs:
        # Rewrite only what changed, so editing one header recompiles one test file.
        if not out_path.exists() or out_path.read_text(encoding="utf-8") != text:
            out_path.parent.mkdir(parents=True, exist_ok=True)
            out_path.write_text(text, encoding="utf-8")
    print(f"converge: {total} header examples in {len(args.headers)} headers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
