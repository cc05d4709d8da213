"""Integrity flags, for the instructor's eyes only: code that reaches for the grader.

The sandbox already makes such code fail (docs/grader.md, "What the sandbox
guarantees"); these flags say who tried, so that an instructor can look. They
never change a score: the batch puts them in the instructor's report and CSV,
never in what a student sees.

`flags(path)` reads one student's submission (a folder of module files, a
notebook, or a folder of notebooks) and returns one short line per finding,
`matmul.py:40: uses gc.get_objects (searches the heap for objects)`, at most
`MAX_FLAGS` of them and then `and N more`. What is flagged:

- the grader's own modules (`autograder` and its parts, `sandbox`,
  `forkserver`, `tracer`, `guards`, ... and the names of its classes);
- torch's private machinery: `torch._C` and any `torch.*._private` name, and
  above all what switches the tracing modes (`_set_torch_function_mode`,
  `_push_on_torch_dispatch_stack`, `DisableTorchFunction`, `redispatch`,
  `torch.utils._python_dispatch`, `torch.overrides`, `torch.library`);
  defining `__torch_function__`, `__torch_dispatch__` or a finalizer `__del__`;
- the heap and the frames: `gc.get_objects`/`get_referrers`, `sys._getframe`,
  `inspect.currentframe`/`stack`, `traceback.extract_stack`, `.f_back`,
  `.f_locals`, `.tb_frame`, and introspection that reaches objects it was
  not given (`__subclasses__`, `__globals__`, `__closure__`, `__code__`);
- other processes and threads, signals and sockets: `socket`, `ctypes`,
  `os.fork`, `os._exit`, `os.kill`, `os.system`, `threading`,
  `concurrent.futures`, `multiprocessing`, `subprocess`, `signal`;
- imports by name and code from text (`importlib`, `__import__`, `exec`,
  `eval`), `builtins` and `__builtins__`, `sys.modules`, audit and trace hooks;
- patching: an assignment to an attribute of an imported module
  (`json.dumps = ...`, `torch.relu = ...`);
- string constants that name `/proc`, the grader, or one of the names above
  (`getattr(torch._C, "_pop_torch_dispatch_stack")`).

Files are parsed with `ast`; one that does not parse (a notebook cell with an
IPython magic, bytes that are not Python) is scanned as text instead, and its
flags say so. Every file is read through `submission_files.read_regular`
(no links, FIFOs or devices; at most `MODULE_LIMIT` bytes a module file and
`NOTEBOOK_LIMIT` a notebook): a file it refuses is a flag
(`neurons.py: not read (a symbolic link)`), never an exception. Of a
notebook, only the answer cells are read (code cells whose nbgrader grade_id
is an item id), the only cells that are graded; flags name the cell and its
line. Every flag is cleaned with `safe_text.clean`.
"""

from __future__ import annotations

import ast
import bisect
import functools
import os
import re
import stat
import warnings
from pathlib import Path

from autograder import catalogue
from autograder.course import module_parts
from autograder.grading import from_notebooks, submission_files
from autograder.grading.submission_files import FOLDER_FLAGS, MODULE_LIMIT, SubmissionFileError
from autograder.paths import PACKAGE, SOLUTIONS
from autograder.safe_text import NAME_LIMIT, clean, csv_cell

MAX_FLAGS = 50  # lines a student's flags may take; the rest are counted ("and N more")
FLAG_LIMIT = 300  # characters of one flag
TEXT_SCAN_LIMIT = 2**20  # characters of an unparsable file or cell that the text scan reads

GRADER = "the grader's own code"
MODES = "switches torch's tracing or dispatch modes"
TORCH_PRIVATE = "a private part of torch"
FRAMES = "walks the call stack's frames"
HEAP = "searches the heap for objects"
INTROSPECTION = "reaches objects it was not given"
PROCESSES = "other processes"
THREADS = "other threads"
SIGNALS = "signals"
BY_NAME = "imports modules by name"
FROM_TEXT = "runs code made from text"
BUILTINS = "Python's builtins"
HOOKS = "audit or trace hooks"
PROC = "other processes' memory and state"

# Dotted names (a module, or an attribute of one) and why they are flagged.
# The longest one that a name starts with decides.
DOTTED = {
    "autograder": GRADER,
    "sandbox": GRADER,
    "forkserver": GRADER,
    "socket": "sockets",
    "ssl": "sockets",
    "ctypes": "calls C code directly (ctypes)",
    "cffi": "calls C code directly (cffi)",
    "gc.get_objects": HEAP,
    "gc.get_referrers": HEAP,
    "gc.get_referents": HEAP,
    "sys._getframe": FRAMES,
    "sys._current_frames": FRAMES,
    "sys.settrace": HOOKS,
    "sys.setprofile": HOOKS,
    "sys.addaudithook": HOOKS,
    "sys.audit": HOOKS,
    "sys.modules": "reaches loaded modules through sys.modules",
    "inspect.currentframe": FRAMES,
    "inspect.stack": FRAMES,
    "inspect.trace": FRAMES,
    "inspect.getouterframes": FRAMES,
    "inspect.getinnerframes": FRAMES,
    "traceback.extract_stack": FRAMES,
    "traceback.walk_stack": FRAMES,
    "traceback.StackSummary": FRAMES,
    "os.fork": PROCESSES,
    "os.forkpty": PROCESSES,
    "os._exit": "ends the process at once",
    "os.abort": "ends the process at once",
    "os.kill": SIGNALS,
    "os.killpg": SIGNALS,
    "os.system": PROCESSES,
    "os.popen": PROCESSES,
    "pty": PROCESSES,
    "subprocess": PROCESSES,
    "multiprocessing": PROCESSES,
    "concurrent.futures": "other threads or processes",
    "threading": THREADS,
    "_thread": THREADS,
    "signal": SIGNALS,
    "importlib": BY_NAME,
    "builtins": BUILTINS,
    "types.FunctionType": "builds functions from code objects",
    "types.CodeType": "builds code objects",
    "types.CellType": INTROSPECTION,
    "torch._C": TORCH_PRIVATE,
    "torch._dynamo": TORCH_PRIVATE,
    "torch.overrides": MODES,
    "torch.library": "defines torch operators of its own",
}
_PROCESS_CALLS = re.compile(r"(?:exec|spawn|posix_spawn|fork)\w*")  # os.execv, os.spawnl, ...
# What in a torch name switches the modes (a torch._C binding, a private helper).
_MODE_WORDS = re.compile(r"dispatch|torch_function|function_mode|function_stack|DisableTorch"
                         r"|eval_frame|python_mode|_pop_mode|_push_mode|current_modes"
                         r"|set_tracing_state", re.IGNORECASE)

# Attribute names flagged whatever they are read from (a frame, a function, a class).
ATTRIBUTES = {
    "f_back": FRAMES,
    "f_locals": FRAMES,
    "f_globals": FRAMES,
    "f_builtins": FRAMES,
    "f_code": FRAMES,
    "tb_frame": FRAMES,
    "gi_frame": FRAMES,
    "cr_frame": FRAMES,
    "ag_frame": FRAMES,
    "_getframe": FRAMES,
    "__subclasses__": INTROSPECTION,
    "__globals__": INTROSPECTION,
    "__closure__": INTROSPECTION,
    "cell_contents": INTROSPECTION,
    "__code__": INTROSPECTION,
    "__builtins__": BUILTINS,
    "__torch_function__": MODES,
    "__torch_dispatch__": MODES,
    "redispatch": MODES,
    "_make_subclass": TORCH_PRIVATE,
    "_make_wrapper_subclass": TORCH_PRIVATE,
}
# Bare names (builtins) flagged when they are used.
NAMES = {
    "__import__": BY_NAME,
    "__builtins__": BUILTINS,
    "exec": FROM_TEXT,
    "eval": FROM_TEXT,
    "compile": FROM_TEXT,
}
# Methods whose definition is flagged.
DEFINITIONS = {
    "__torch_function__": MODES,
    "__torch_dispatch__": MODES,
    "__del__": "a finalizer, which runs after its answer is returned",
}
_BY_NAME_CALLS = ("__import__", "importlib.import_module", "importlib.__import__")
_ATTRIBUTE_CALLS = ("getattr", "setattr", "delattr", "hasattr")
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


@functools.cache
def grader_names() -> tuple[frozenset[str], frozenset[str]]:
    """(module names, class names) of the grader's sandbox and grading code,
    read from our own files: `import tracer`, "CallCounter"."""
    modules, classes = set(), set()
    for folder in (PACKAGE / "sandbox", PACKAGE / "grading"):
        for path in folder.glob("*.py"):
            if path.stem != "__init__":
                modules.add(path.stem)
            try:
                tree = ast.parse(path.read_text(encoding="utf-8"))
            except (OSError, SyntaxError, ValueError):
                continue
            classes.update(node.name for node in tree.body if isinstance(node, ast.ClassDef)
                           and not node.name.startswith("_") and len(node.name) >= 6)
    return frozenset(modules), frozenset(classes)


def reason(dotted: str) -> str | None:
    """Why a dotted name (`torch._C._set_torch_function_mode`) is flagged, or None."""
    parts = dotted.split(".")
    found = None
    for count in range(len(parts), 0, -1):
        found = DOTTED.get(".".join(parts[:count]))
        if found:
            break
    if parts[0] in grader_names()[0]:
        return GRADER
    if parts[0] == "os" and len(parts) > 1 and _PROCESS_CALLS.fullmatch(parts[1]):
        return PROCESSES
    if parts[0] == "torch":
        if _MODE_WORDS.search(dotted):
            return MODES
        if found is None and any(_private(part) for part in parts[1:]):
            return TORCH_PRIVATE
    return found


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


@functools.cache
def _sensitive_strings() -> dict[str, str]:
    """Whole string constants flagged as names, with why: `"_getframe"`,
    `"get_objects"`, `"CallCounter"`, `"socket"`."""
    words = {key.rsplit(".", 1)[1]: why for key, why in DOTTED.items() if "." in key}
    words.update(DOTTED)
    words.update(ATTRIBUTES)
    words.update((name, why) for name, why in NAMES.items() if name.startswith("_"))
    modules, classes = grader_names()
    words.update((name, GRADER) for name in modules | classes)
    for common in ("modules", "trace", "stack", "system", "futures", "library", "overrides"):
        words.pop(common, None)  # too common as plain words
    return words


def _string_reason(text: str) -> tuple[str, str] | None:
    """(what, why) for a string constant that names something flagged."""
    if "/proc" in text:
        return "names /proc", PROC
    if "autograder" in text or "forkserver" in text:
        return "names the grader", GRADER
    why = _sensitive_strings().get(text)
    if why is None and _IDENTIFIER.fullmatch(text) and "_" in text and _MODE_WORDS.search(text):
        why = MODES
    if why is None:
        return None
    return f'names "{clean(text, NAME_LIMIT)}" in a string', why


# -- one file or cell ----------------------------------------------------------------------


class _Scan:
    """The findings in one piece of code: (line, text) pairs."""

    def __init__(self, known: dict[str, str] | None = None):
        self.found: list[tuple[int, str]] = []
        self.known = dict(known or {})  # bound name -> dotted module path it stands for
        self.aliases: dict[str, str] = {}  # names the code imports -> what they stand for
        self.local: set[str] = set()  # names the code binds otherwise (variables, arguments, defs)
        self.done: set[int] = set()  # ids of nodes already accounted for

    def add(self, node: ast.AST, text: str, why: str | None = None) -> None:
        self.found.append((getattr(node, "lineno", 0), f"{text} ({why})" if why else text))

    def run(self, tree: ast.AST) -> list[tuple[int, str]]:
        nodes = list(ast.walk(tree))  # iterative: no recursion limit, parents before children
        for node in nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    bound = alias.asname or alias.name.split(".")[0]
                    self.aliases[bound] = alias.name if alias.asname else bound
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    if alias.name != "*":
                        self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                self.local.add(node.id)
            elif isinstance(node, ast.arg):
                self.local.add(node.arg)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                self.local.add(node.name)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.local.add(node.name)
        for node in nodes:
            if id(node) in self.done:
                continue
            handler = getattr(self, f"_{type(node).__name__}", None)
            if handler is not None:
                handler(node)
        return self.found

    # -- names ---------------------------------------------------------------------------

    def _resolve(self, root: str) -> str | None:
        """What a name stands for: the module it was imported as, itself when
        nothing binds it (`torch` in a notebook cell), None for a variable."""
        if root in self.aliases:
            return self.aliases[root]
        if root in self.local:
            return None
        return self.known.get(root, root)

    def _chain(self, node: ast.AST) -> tuple[str | None, list[str], list[ast.AST]]:
        """(root name, attribute names, nodes) of `a.b.c`; root None when it is not a name."""
        parts, nodes = [], []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            nodes.append(node)
            node = node.value
        if isinstance(node, ast.Name):
            nodes.append(node)
            return node.id, parts[::-1], nodes
        return None, parts[::-1], nodes

    def _flag_chain(self, node: ast.AST, root: str | None, parts: list[str], verb: str = "uses") -> bool:
        resolved = self._resolve(root) if root is not None else None
        dotted = ".".join([resolved, *parts]) if resolved is not None else None
        why = reason(dotted) if dotted is not None else None
        if why is not None:
            self.add(node, f"{verb} {clean(dotted, NAME_LIMIT)}", why)
            return True
        hit = False
        if root is not None and not parts and root in NAMES and resolved == root:
            self.add(node, f"{verb} {root}", NAMES[root])
            hit = True
        for part in parts:
            if part in ATTRIBUTES:
                self.add(node, f"{verb} .{part}", ATTRIBUTES[part])
                hit = True
        return hit

    # -- node handlers -------------------------------------------------------------------

    def _Import(self, node: ast.Import) -> None:
        for alias in node.names:
            why = reason(alias.name)
            if why:
                self.add(node, f"imports {clean(alias.name, NAME_LIMIT)}", why)

    def _ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module:
            return  # a relative import: nothing of the grader's, and it cannot work in grading
        for alias in node.names:
            full = node.module if alias.name == "*" else f"{node.module}.{alias.name}"
            why = reason(full) or ATTRIBUTES.get(alias.name)
            if why:
                self.add(node, f"imports {clean(full, NAME_LIMIT)}", why)

    def _Attribute(self, node: ast.Attribute) -> None:
        root, parts, nodes = self._chain(node)
        self.done.update(map(id, nodes))
        self._flag_chain(node, root, parts)

    def _Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self._flag_chain(node, node.id, [])

    def _Call(self, node: ast.Call) -> None:
        root, parts, nodes = self._chain(node.func)
        resolved = self._resolve(root) if root is not None else None
        if resolved is None or not node.args:
            return
        name = ".".join([resolved, *parts])
        first = node.args[0]
        if name in _BY_NAME_CALLS and _is_text(first):
            target = first.value
            why = reason(target)
            if why:
                self.done.update(map(id, [*nodes, first]))
                self.add(node, f"imports {clean(target, NAME_LIMIT)} by name", why)
        elif name in _ATTRIBUTE_CALLS and len(node.args) >= 2 and _is_text(node.args[1]):
            attribute = node.args[1].value
            base_root, base_parts, base_nodes = self._chain(first)
            verb = {"setattr": "patches", "delattr": "patches"}.get(name, "uses")
            if base_root is not None:
                hit = self._flag_chain(node, base_root, [*base_parts, attribute], verb)
            else:
                hit = self._flag_chain(node, None, [attribute], verb)
            if hit:
                self.done.update(map(id, [node.args[1], *base_nodes]))

    def _patched(self, target: ast.AST) -> None:
        for node in _targets(target):
            root, parts, nodes = self._chain(node)
            if root is None or not parts or (root not in self.aliases and root not in self.known):
                continue
            if root in self.local and root not in self.aliases:
                continue
            self.done.update(map(id, nodes))
            dotted = ".".join([self._resolve(root), *parts])
            why = reason(dotted) or next((ATTRIBUTES[p] for p in parts if p in ATTRIBUTES),
                                         "changes what a module holds")
            self.add(node, f"patches {clean(dotted, NAME_LIMIT)}", why)

    def _Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._patched(target)

    def _AugAssign(self, node: ast.AugAssign) -> None:
        self._patched(node.target)

    def _AnnAssign(self, node: ast.AnnAssign) -> None:
        self._patched(node.target)

    def _Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self._patched(target)

    def _FunctionDef(self, node: ast.FunctionDef) -> None:
        if node.name in DEFINITIONS:
            self.add(node, f"defines {node.name}", DEFINITIONS[node.name])

    _AsyncFunctionDef = _FunctionDef

    def _Constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, bytes):
            value = value[:TEXT_SCAN_LIMIT].decode("latin-1")
        if isinstance(value, str):
            found = _string_reason(value)
            if found:
                self.add(node, *found)


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _targets(target: ast.AST):
    """The attribute targets of an assignment, through tuples, lists and `*`."""
    stack = [target]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Tuple, ast.List)):
            stack.extend(node.elts)
        elif isinstance(node, ast.Starred):
            stack.append(node.value)
        elif isinstance(node, ast.Attribute):
            yield node


@functools.cache
def _text_patterns() -> tuple[re.Pattern, list[tuple[str, str]]]:
    """One pattern for the text scan (a group per flagged word) and, per
    group, (what, why)."""
    rules: list[tuple[str, str, str]] = []
    modules = grader_names()[0]
    for word in sorted(set(DOTTED) | modules):
        rules.append((rf"(?<![\w.]){re.escape(word)}(?!\w)", word, reason(word) or GRADER))
    for word, why in sorted(ATTRIBUTES.items()):
        rules.append((rf"(?<!\w){re.escape(word)}(?!\w)", word, why))
    for word, why in sorted(NAMES.items()):
        call = r"\s*\(" if word.isalpha() else ""  # exec( and eval(, not the words
        rules.append((rf"(?<![\w.]){re.escape(word)}(?!\w){call}", word, why))
    rules += [
        (r"/proc", "/proc", PROC),
        (r"autograder|forkserver", "the grader", GRADER),
        (r"\w*(?:push_on|pop)_torch_\w+|_set_torch_function_mode|_unset_dispatch_mode"
         r"|_DisableTorchDispatch|DisableTorchFunction", "torch's mode switches", MODES),
    ]
    pattern = "|".join(f"(?P<g{index}>{regex})" for index, (regex, _, _) in enumerate(rules))
    return re.compile(pattern), [(what, why) for _, what, why in rules]


_SHELL = re.compile(r"\s*(?:!|%%?(?:bash|sh|system|sx|script)\b)")


def _scan_text(text: str) -> list[tuple[int, str]]:
    """The findings of a text scan (of at most TEXT_SCAN_LIMIT characters):
    each flagged word where it appears, and IPython shell lines."""
    text = text[:TEXT_SCAN_LIMIT]
    starts = [0] + [match.end() for match in re.finditer("\n", text)]
    pattern, labels = _text_patterns()
    found = []
    for match in pattern.finditer(text):
        line = bisect.bisect_right(starts, match.start())
        what, why = labels[int(match.lastgroup[1:])]
        found.append((line, f"mentions {what} ({why})"))
    for number, line in enumerate(text.split("\n"), 1):
        if _SHELL.match(line):
            found.append((number, "runs a shell command (an IPython ! or %%bash line)"))
    return found


def scan_code(code: bytes | str, known: dict[str, str] | None = None) -> tuple[list[tuple[int, str]], str]:
    """(findings as (line, text), a note) for one piece of code; the note says
    when it did not parse and was scanned as text ('' when it parsed).

    `known`: names bound elsewhere (a notebook's setup cell) and what they stand for."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings of odd escapes are no finding
            tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError) as exc:
        line = getattr(exc, "lineno", None)
        where = f" (line {line})" if isinstance(line, int) else ""
        text = code.decode("utf-8", "replace") if isinstance(code, bytes) else code
        return _scan_text(text), f"does not parse as Python{where}; scanned as text"
    try:
        return _Scan(known).run(tree), ""
    except RecursionError:  # a pathological tree; the text scan still reads it
        text = code.decode("utf-8", "replace") if isinstance(code, bytes) else code
        return _scan_text(text), "could not be walked as Python; scanned as text"


def _lines(where: str, found: list[tuple[int, str]], note: str, cell: bool = False) -> list[str]:
    """`where:line: text` lines (`where, line N: text` for a cell), one per
    distinct finding at its first line, with how many more lines have it."""
    out = [f"{where}: {note}"] if note else []
    first: dict[str, int] = {}
    count: dict[str, int] = {}
    for line, text in sorted(found):
        if text not in first:
            first[text] = line
            count[text] = 0
        elif line != first[text]:
            count[text] += 1
    for text, line in sorted(first.items(), key=lambda pair: (pair[1], pair[0])):
        more = count[text]
        also = f" (and on {more} more line{'s' if more > 1 else ''})" if more else ""
        place = f"{where}, line {line}" if cell else f"{where}:{line}"
        out.append(f"{place}: {text}{also}")
    return out


# -- a whole submission --------------------------------------------------------------------


def not_read(name: str, exc: Exception) -> str:
    """A file that was not read, in a few words: `neurons.py: not read (a symbolic link)`."""
    return f"{clean(name, NAME_LIMIT)}: not read ({short_reason(exc)})"


def short_reason(exc: Exception) -> str:
    """Why `read_regular` refused a file, shortly: 'a symbolic link', 'a FIFO (named pipe)'."""
    if not isinstance(exc, SubmissionFileError):
        return clean(getattr(exc, "strerror", None) or type(exc).__name__, NAME_LIMIT)
    text = exc.reason
    if text.startswith("is a symbolic link"):
        return "a symbolic link"
    for pattern in (r"is (.+?), not a regular file.*", r"is ([\d,]+ bytes, over the limit of [\d,]+ bytes).*",
                    r"is (more than [\d,]+ bytes).*", r"is (a hard link to one of the grader's own files).*"):
        match = re.fullmatch(pattern, text)
        if match:
            return match.group(1)
    return clean(text.removeprefix("is "), NAME_LIMIT)


def module_files(folder: Path, limit: int):
    """(name, bytes or the OSError that kept it unread) of each module file of
    `folder`, in course order, read only through the grader's safe reader;
    a folder that cannot be opened yields ("", its error) alone."""
    try:
        folder_fd = os.open(folder, FOLDER_FLAGS)
    except OSError as exc:
        yield "", exc
        return
    try:
        for module in catalogue.modules():
            name = f"{module}.py"
            try:
                yield name, submission_files.read_regular(name, limit=limit, dir_fd=folder_fd)
            except FileNotFoundError:
                continue
            except (SubmissionFileError, OSError) as exc:
                yield name, exc
    finally:
        os.close(folder_fd)


def _module_flags(folder: Path) -> list[str]:
    """The flags of a folder's module files, in course order."""
    out = []
    for name, data in module_files(folder, MODULE_LIMIT):
        if isinstance(data, Exception):
            out.append(not_read(name or clean(folder.name, NAME_LIMIT), data))
        else:
            found, note = scan_code(data)
            out.extend(_lines(name, found, note))
    return out


@functools.cache
def _setup_names(module: str) -> dict[str, str]:
    """What the trusted setup cell of a module's notebook imports (`torch`, `F`...)."""
    try:
        setup = module_parts.split((SOLUTIONS / f"{module}.py").read_text(encoding="utf-8"), module).setup
    except (OSError, SyntaxError, ValueError):
        return {}
    scan = _Scan()
    scan.run(ast.parse(setup))
    return scan.aliases


def answer_cells(path: Path) -> tuple[list[tuple[str, str | None]], str]:
    """The answer cells of a notebook, read with the grader's own limits:
    [(item id, source or None when it is not text)], in the notebook's order,
    and why the notebook was not read ('' when it was)."""
    try:
        notebook = from_notebooks.read_notebook(path)
    except SubmissionFileError as exc:
        return [], short_reason(exc)
    except (OSError, RecursionError, MemoryError, UnicodeError) as exc:
        return [], short_reason(exc)
    cells = notebook.get("cells")
    if not isinstance(cells, list):
        return [], "its cells are not a list"
    items = catalogue.by_id()
    found: list[tuple[str, str | None]] = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        metadata = cell.get("metadata")
        nbgrader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
        grade_id = nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None
        if not isinstance(grade_id, str) or grade_id not in items:
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            source = "".join(source)
        found.append((grade_id, source if isinstance(source, str) else None))
    return found, ""


def _notebook_flags(path: Path) -> list[str]:
    """The flags of a notebook's answer cells, in the notebook's order."""
    name = clean(path.name, NAME_LIMIT)
    cells, problem = answer_cells(path)
    if problem:
        return [f"{name}: not read ({problem})"]
    items = catalogue.by_id()
    out = []
    for grade_id, source in cells:
        if source is None:
            out.append(f"{name}, cell {grade_id}: not read (its source is not text)")
            continue
        found, note = scan_code(source, _setup_names(items[grade_id].module))
        out.extend(_lines(f"{name}, cell {grade_id}", found, note, cell=True))
    return out


def flags(path: Path) -> list[str]:
    """One student's integrity flags: one short line each, at most MAX_FLAGS
    (then one `and N more`); [] when nothing was found. Never raises for
    anything the submission holds."""
    path = Path(path)
    try:
        info = os.lstat(path)
    except OSError as exc:
        return [f"{clean(path.name, NAME_LIMIT)}: not read ({short_reason(exc)})"]
    if stat.S_ISLNK(info.st_mode):
        found = [f"{clean(path.name, NAME_LIMIT)}: not read (a symbolic link)"]
    elif stat.S_ISDIR(info.st_mode):
        if from_notebooks.is_notebook_submission(path):
            found = [flag for notebook in from_notebooks.notebooks_in(path)
                     for flag in _notebook_flags(notebook)]
        else:
            found = _module_flags(path)
    elif path.suffix == ".ipynb":
        found = _notebook_flags(path)
    elif stat.S_ISREG(info.st_mode) and path.suffix == ".py":
        found = _single_module(path)
    else:
        found = [f"{clean(path.name, NAME_LIMIT)}: not read "
                 f"({submission_files.kind(info.st_mode)}, not a submission)"]
    return bounded(found)


def _single_module(path: Path) -> list[str]:
    try:
        data = submission_files.read_regular(path, limit=MODULE_LIMIT)
    except (SubmissionFileError, OSError) as exc:
        return [not_read(path.name, exc)]
    found, note = scan_code(data)
    return _lines(clean(path.name, NAME_LIMIT), found, note)


def bounded(found: list[str], most: int = MAX_FLAGS) -> list[str]:
    """Each flag cleaned, at most `most` of them, then `and N more`."""
    kept = [clean(flag, FLAG_LIMIT) for flag in found[:most]]
    if len(found) > most:
        kept.append(f"and {len(found) - most} more")
    return kept


def summary(found: list[str], limit: int = 400) -> str:
    """A student's flags as one CSV cell: `2 flags: neurons.py:3: imports socket (sockets); ...`,
    cut to `limit` characters, a would-be formula made text ('' when there are none)."""
    if not found:
        return ""
    more = re.fullmatch(r"and (\d+) more", found[-1])
    total = len(found) - 1 + int(more.group(1)) if more else len(found)
    head = f"{total} flag{'s' if total != 1 else ''}: "
    return csv_cell(head + "; ".join(found), limit)
