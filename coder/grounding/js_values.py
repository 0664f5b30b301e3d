"""What a JavaScript/TypeScript expression is, and its members: cheap, never wrong.

Follows relative imports (ES modules and ``require``), classes and their
``extends``, ``new Foo()``, ``this`` inside class methods (through arrow functions),
TypeScript annotations (``x: Foo``, ``Foo | null``, ``Foo<T>``, interfaces, type
aliases) and return annotations. Package imports (``react``, ``node:fs``) and
anything else are Unknown: low confidence, never a wrong member list.
"""

from __future__ import annotations

from dataclasses import dataclass

import tree_sitter

from coder.grounding.js_file import (
    JsBinding, JsClass, JsExport, JsFile, JsInterface, JsMember, JsScope, call_shape,
)
from coder.grounding.js_globals import FUNCTION_MEMBERS, JS_GLOBALS, OBJECT_MEMBERS
from coder.grounding.names import Members, NameInfo
from coder.grounding.syntax_tree import text_of
from coder.grounding.repo_view import RepoView

MAX_DEPTH = 24
_FUNCTION_NODES = (
    "function_declaration", "function_expression", "arrow_function", "generator_function_declaration",
)


@dataclass(frozen=True)
class Unknown:
    reason: str


@dataclass(frozen=True)
class JsModule:
    jf: JsFile


@dataclass(frozen=True)
class ClassValue:
    jf: JsFile
    cls: JsClass


@dataclass(frozen=True)
class InterfaceValue:
    jf: JsFile
    interface: JsInterface


@dataclass(frozen=True)
class FunctionValue:
    jf: JsFile
    node: tree_sitter.Node  # function / method node (has `return_type` in TS)
    owner: JsClass | None = None


@dataclass(frozen=True)
class Instance:
    of: ClassValue | InterfaceValue


@dataclass(frozen=True)
class GlobalValue:
    name: str


Value = Unknown | JsModule | ClassValue | InterfaceValue | FunctionValue | Instance | GlobalValue


def pick_binding(bindings: list[JsBinding], offset: int) -> JsBinding:
    """The binding in effect at ``offset``: the last one before it, else the first."""
    before = [b for b in bindings if b.start < offset]
    if before:
        return max(before, key=lambda b: b.start)
    return min(bindings, key=lambda b: b.start)


def label_of(value: Value) -> str | None:
    if isinstance(value, JsModule):
        return f"module {value.jf.path}"
    if isinstance(value, ClassValue):
        return value.cls.name
    if isinstance(value, InterfaceValue):
        return value.interface.name
    if isinstance(value, Instance):
        return label_of(value.of)
    return None


class JsEvaluator:
    def __init__(self, repo: RepoView):
        self.repo = repo
        self._depth = 0

    def file(self, path: str) -> JsFile | None:
        language = _language_of(path)
        return self.repo.parsed_file(language, path, lambda text, p, previous: JsFile(text, p, language, previous))

    # -- names -------------------------------------------------------------------------

    def lookup(self, jf: JsFile, scope: JsScope, name: str, offset: int) -> Value:
        current: JsScope | None = scope
        while current is not None:
            bindings = current.bindings.get(name)
            if bindings:
                return self.binding_value(jf, pick_binding(bindings, offset))
            current = current.parent
        if name in JS_GLOBALS:
            return GlobalValue(name)
        return Unknown(f"{name} is not declared here")

    def binding_value(self, jf: JsFile, binding: JsBinding) -> Value:
        if self._depth > MAX_DEPTH:
            return Unknown("binding chain too long")
        self._depth += 1
        try:
            return self._binding_value(jf, binding)
        finally:
            self._depth -= 1

    def _binding_value(self, jf: JsFile, binding: JsBinding) -> Value:
        kind = binding.kind
        scope = binding.scope or jf.module
        if kind == "class":
            cls = jf.class_for(binding.node)
            return ClassValue(jf, cls) if cls is not None else Unknown("class not parsed")
        if kind == "interface":
            for interface in jf.interfaces.get(binding.name, ()):
                if interface.node.id == binding.node.id:
                    return InterfaceValue(jf, interface)
            return Unknown("interface not parsed")
        if kind == "alias" and binding.value is not None:
            return self.type_value(jf, scope, binding.value, binding.start, instance=False)
        if kind == "function":
            return FunctionValue(jf, binding.node)
        if kind == "import":
            return self.import_value(jf, binding)
        if binding.annotation is not None:
            annotated = self.type_value(jf, scope, binding.annotation, binding.start)
            if not isinstance(annotated, Unknown) or binding.value is None:
                return annotated
        if binding.value is not None:
            value = self.value(jf, scope, binding.value, binding.start)
            if binding.property is not None:
                return self.member_value(value, binding.property)
            return value
        return Unknown(f"{binding.name} ({kind}) has no usable value or annotation")

    def import_value(self, jf: JsFile, binding: JsBinding) -> Value:
        target = self.repo.js_module(jf.path, binding.module or "")
        if target is None:
            return Unknown(f"module {binding.module!r} is outside the repository")
        module = self.file(target)
        if module is None:
            return Unknown(f"{target} is not readable")
        if binding.imported == "*":
            return JsModule(module)
        return self.export_value(module, binding.imported or "default")

    def export_value(self, jf: JsFile, name: str) -> Value:
        export = jf.exports.get(name)
        if export is None:
            if jf.cjs_whole is not None:
                whole = self.value(jf, jf.module, jf.cjs_whole, len(jf.source))
                if name == "default":
                    return whole
                return self.member_value(whole, name)
            if name == "default" and not jf.has_exports:
                return Unknown(f"{jf.path} has no exports we can see")
            for specifier in jf.star_exports:
                target = self.repo.js_module(jf.path, specifier)
                module = self.file(target) if target else None
                if module is not None and self._depth < MAX_DEPTH:
                    self._depth += 1
                    try:
                        found = self.export_value(module, name)
                    finally:
                        self._depth -= 1
                    if not isinstance(found, Unknown):
                        return found
            return Unknown(f"{jf.path} exports no {name}")
        return self._export(jf, export)

    def _export(self, jf: JsFile, export: JsExport) -> Value:
        if export.module is not None:
            target = self.repo.js_module(jf.path, export.module)
            module = self.file(target) if target else None
            if module is None:
                return Unknown(f"re-export from {export.module!r} is outside the repository")
            return JsModule(module) if export.imported == "*" else self.export_value(module, export.imported or "default")
        if export.local is not None:
            return self.lookup(jf, jf.module, export.local, len(jf.source))
        if export.node is not None:
            node = export.node
            if node.type in ("class_declaration", "class", "abstract_class_declaration"):
                cls = jf.class_for(node)
                return ClassValue(jf, cls) if cls is not None else Unknown("class not parsed")
            if node.type in _FUNCTION_NODES:
                return FunctionValue(jf, node)
            return self.value(jf, jf.module, node, len(jf.source))
        return Unknown("empty export")

    # -- expressions -------------------------------------------------------------------

    def value(self, jf: JsFile, scope: JsScope, node: tree_sitter.Node, offset: int) -> Value:
        if self._depth > MAX_DEPTH:
            return Unknown("expression too deep")
        self._depth += 1
        try:
            return self._value(jf, scope, node, offset)
        finally:
            self._depth -= 1

    def _value(self, jf: JsFile, scope: JsScope, node: tree_sitter.Node, offset: int) -> Value:
        kind = node.type
        if kind == "identifier":
            return self.lookup(jf, scope, text_of(node), offset)
        if kind == "this":
            return self.this_value(jf, scope)
        if kind == "member_expression":
            receiver = self.value(jf, scope, node.child_by_field_name("object"), offset)
            return self.member_value(receiver, text_of(node.child_by_field_name("property")))
        if kind == "new_expression":
            constructor = self.value(jf, scope, node.child_by_field_name("constructor"), offset)
            if isinstance(constructor, ClassValue):
                return Instance(constructor)
            return Unknown("constructed from something we cannot follow")
        if kind == "call_expression":
            function = node.child_by_field_name("function")
            if text_of(function) == "require":
                return Unknown("require() outside a declaration")
            return self.returned(self.value(jf, scope, function, offset))
        if kind in ("parenthesized_expression", "non_null_expression", "await_expression") and node.named_children:
            inner = self.value(jf, scope, node.named_children[0], offset)
            return inner if kind != "await_expression" else Unknown("awaited value")
        if kind in ("as_expression", "satisfies_expression") and len(node.named_children) == 2:
            return self.type_value(jf, scope, node.named_children[1], offset)
        if kind in ("class", "class_declaration"):
            cls = jf.class_for(node)
            return ClassValue(jf, cls) if cls is not None else Unknown("class not parsed")
        if kind in ("function_expression", "arrow_function", "function_declaration"):
            return FunctionValue(jf, node)
        return Unknown(f"cannot follow a {kind} expression")

    def this_value(self, jf: JsFile, scope: JsScope) -> Value:
        current: JsScope | None = scope
        while current is not None and current.kind == "arrow":
            current = current.parent
        if current is None:
            return Unknown("`this` outside a class")
        if current.kind == "class" and current.cls is not None:
            return Instance(ClassValue(jf, current.cls))
        if current.kind == "method" and current.parent is not None and current.parent.cls is not None:
            owner = ClassValue(jf, current.parent.cls)
            return owner if current.static else Instance(owner)
        return Unknown("`this` inside a plain function depends on the call")

    def returned(self, function: Value) -> Value:
        if not isinstance(function, FunctionValue):
            return Unknown("return value not known")
        annotation = function.node.child_by_field_name("return_type")
        if annotation is None:
            return Unknown("no return annotation")
        jf = function.jf
        scope = jf.scope_of_node(function.node)
        if text_of(annotation).lstrip(": ").strip() == "this" and function.owner is not None:
            return Instance(ClassValue(jf, function.owner))
        return self.type_value(jf, scope, annotation, function.node.start_byte)

    def type_value(self, jf: JsFile, scope: JsScope, node: tree_sitter.Node, offset: int, instance: bool = True) -> Value:
        """The value a TS type describes: an instance of a class or interface."""
        while node.type in ("type_annotation", "parenthesized_type") and node.named_children:
            node = node.named_children[0]
        kind = node.type
        if kind == "generic_type":
            node = node.child_by_field_name("name") or node.named_children[0]
            kind = node.type
        if kind == "union_type":
            parts = [c for c in node.named_children if text_of(c) not in ("null", "undefined")]
            if len(parts) == 1:
                return self.type_value(jf, scope, parts[0], offset, instance)
            return Unknown("union type")
        if kind in ("type_identifier", "identifier"):
            target = self.lookup(jf, scope, text_of(node), offset)
        elif kind == "nested_type_identifier":
            module = self.lookup(jf, scope, text_of(node.named_children[0]), offset)
            target = self.member_value(module, text_of(node.named_children[-1]))
        else:
            return Unknown(f"type {text_of(node)} not followed")
        if isinstance(target, (ClassValue, InterfaceValue)):
            return Instance(target) if instance else target
        if isinstance(target, Instance) and not instance:
            return target
        return target if isinstance(target, Unknown) else Unknown(f"type {text_of(node)} is not a class")

    # -- members -----------------------------------------------------------------------

    def member_value(self, receiver: Value, name: str) -> Value:
        if isinstance(receiver, Unknown):
            return receiver
        if isinstance(receiver, JsModule):
            return self.export_value(receiver.jf, name)
        if isinstance(receiver, (ClassValue, Instance)):
            static = isinstance(receiver, ClassValue)
            found = self._find_member(receiver.of if isinstance(receiver, Instance) else receiver, name, static)
            if found is None:
                return Unknown(f"{name} not found")
            jf, member, owner = found
            if member.kind in ("method", "property"):
                function = FunctionValue(jf, member.node, owner)
                return self.returned(function) if member.kind == "property" else function
            scope = member.scope or jf.module
            if member.annotation is not None:
                return self.type_value(jf, scope, member.annotation, member.node.start_byte)
            if member.value is not None:
                return self.value(jf, scope, member.value, member.node.start_byte)
            return Unknown(f"type of {name} not known")
        return Unknown("members not followed")

    def _find_member(self, target: ClassValue | InterfaceValue, name: str, static: bool):
        for klass in self.chain(target):
            if isinstance(klass, ClassValue):
                member = klass.cls.members.get(name)
                if member is not None and member.static == static:
                    return klass.jf, member, klass.cls
            elif isinstance(klass, InterfaceValue):
                member = klass.interface.members.get(name)
                if member is not None:
                    return klass.jf, member, None
        return None

    def chain(self, target: ClassValue | InterfaceValue) -> list:
        """The class/interface and its ancestors; Unknown entries for bases we cannot follow."""
        order, seen = [], set()
        pending = [target]
        while pending and len(order) < MAX_DEPTH:
            current = pending.pop(0)
            if isinstance(current, Unknown):
                order.append(current)
                continue
            key = id(current.cls if isinstance(current, ClassValue) else current.interface)
            if key in seen:
                continue
            seen.add(key)
            order.append(current)
            if isinstance(current, ClassValue):
                heritage = current.cls.heritage
                outer = current.cls.scope.parent or current.jf.module
                base = None if heritage is None else self._base(current.jf, outer, heritage)
                if base is not None:
                    pending.append(base)
            else:
                for node in current.interface.extends:
                    scope = current.jf.scope_of_node(current.interface.node)
                    pending.append(self.type_value(current.jf, scope, node, node.start_byte, instance=False))
        return order

    def _base(self, jf: JsFile, scope: JsScope, node: tree_sitter.Node) -> Value | None:
        """The class an `extends` clause names; None for `extends Object` (nothing to add)."""
        if node.type == "call_expression":  # mixins: extends Mixin(Base)
            return Unknown(f"base {text_of(node)} not followed")
        value = self.value(jf, scope, node, node.start_byte)
        if isinstance(value, ClassValue):
            return value
        if isinstance(value, GlobalValue) and value.name == "Object":
            return None
        return Unknown(f"base {text_of(node)} is not known")

    def members(self, value: Value) -> Members:
        label = label_of(value)
        if isinstance(value, Unknown):
            return Members({}, False, None, value.reason)
        if isinstance(value, JsModule):
            return self._module_members(value.jf)
        if isinstance(value, (ClassValue, Instance)):
            static = isinstance(value, ClassValue)
            return self._class_members(value if static else value.of, static, label)
        if isinstance(value, GlobalValue):
            return Members({}, False, value.name, f"members of the global {value.name} are not listed")
        return Members({}, False, label, "members of a function are not listed")

    def _module_members(self, jf: JsFile) -> Members:
        infos = {name: NameInfo(name, "other", "", "member") for name in jf.exports}
        complete, reason = True, ""
        if jf.cjs_whole is not None:
            whole = self.members(self.value(jf, jf.module, jf.cjs_whole, len(jf.source)))
            infos.update(whole.infos)
            complete, reason = whole.complete, whole.reason
        for specifier in jf.star_exports:
            target = self.repo.js_module(jf.path, specifier)
            module = self.file(target) if target else None
            if module is None or self._depth > MAX_DEPTH:
                complete, reason = False, f"`export * from {specifier!r}` is outside the repository"
                continue
            self._depth += 1
            try:
                inner = self._module_members(module)
            finally:
                self._depth -= 1
            infos.update({k: v for k, v in inner.infos.items() if k != "default"})
            if not inner.complete:
                complete, reason = False, inner.reason
        if not jf.has_exports:
            complete, reason = False, f"{jf.path} exports nothing we can see"
        for name in list(infos):
            if name in jf.module.bindings:
                infos[name] = _binding_info(jf.module.bindings[name][0], name)
        return Members(infos, complete, f"module {jf.path}", reason)

    def _class_members(self, target: ClassValue | InterfaceValue, static: bool, label: str | None) -> Members:
        infos: dict[str, NameInfo] = {}
        complete, reason = True, ""
        for position, klass in enumerate(self.chain(target)):
            origin = "member" if position == 0 else "inherited"
            if isinstance(klass, Unknown):
                complete, reason = False, klass.reason
                continue
            holder = klass.cls if isinstance(klass, ClassValue) else klass.interface
            if holder.dynamic:
                complete, reason = False, f"{holder.name} has computed or index members"
            for name, member in holder.members.items():
                if isinstance(klass, ClassValue) and member.static != static:
                    continue
                infos.setdefault(name, _member_info(member, origin))
        extra = FUNCTION_MEMBERS + OBJECT_MEMBERS if static else OBJECT_MEMBERS
        for name in extra:
            kind = "field" if name in ("name", "length", "prototype") else "method"
            infos.setdefault(name, NameInfo(name, kind, "", "universal"))
        return Members(infos, complete, label, reason)

    def scope_names(self, jf: JsFile, scope: JsScope, exclude_start: int | None) -> Members:
        infos: dict[str, NameInfo] = {}
        current: JsScope | None = scope
        first = True
        while current is not None:
            origin = "local" if first else ("module" if current.kind == "module" else "enclosing")
            for name, bindings in current.bindings.items():
                real = [b for b in bindings if b.start != exclude_start]
                if real and name not in infos:
                    info = _binding_info(real[0], name)
                    infos[name] = NameInfo(name, info.kind, info.signature, "import" if real[0].kind == "import" else origin)
            if current.kind != "arrow":
                first = False
            current = current.parent
        for name in JS_GLOBALS:
            infos.setdefault(name, NameInfo(name, "builtin", "", "global"))
        return Members(infos, True, None)


def _member_info(member: JsMember, origin: str) -> NameInfo:
    return NameInfo(member.name, member.kind, member.signature, origin)


def _binding_info(binding: JsBinding, name: str) -> NameInfo:
    kind = {
        "function": "function", "class": "class", "interface": "class", "alias": "class",
        "enum": "class", "namespace": "module", "param": "parameter", "import": "import",
    }.get(binding.kind, "variable")
    signature = ""
    if binding.kind == "function" and binding.node is not None:
        signature = call_shape(name, binding.node)
    return NameInfo(name, kind, signature, "member")


def _language_of(path: str) -> str:
    if path.endswith(".tsx"):
        return "tsx"
    if path.endswith((".ts", ".mts", ".cts")):
        return "typescript"
    return "javascript"
