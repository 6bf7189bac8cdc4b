"""Loads and strictly validates Keel protocol schema files (see proto/README.md).

Everything the emitter relies on is checked here, so a bad schema fails the
build with a message naming the file and the field path instead of producing
C++ that does not compile (or, worse, compiles and mis-encodes).
"""
import json
import re

MAX_VERSION = 0x7fff

# Fixed-size primitive types: name -> (C++ type, Reader/Writer suffix, bytes).
FIXED = {
    'int8': ('int8_t', 'Int8', 1),
    'int16': ('int16_t', 'Int16', 2),
    'int32': ('int32_t', 'Int32', 4),
    'int64': ('int64_t', 'Int64', 8),
    'uint16': ('uint16_t', 'Uint16', 2),
    'uint32': ('uint32_t', 'Uint32', 4),
    'float64': ('double', 'Float64', 8),
    'bool': ('bool', 'Bool', 1),
    'uuid': ('keel::Uuid', 'Uuid', 16),
}
VARIABLE = ('string', 'bytes', 'records')
INT_RANGES = {
    'int8': (-2**7, 2**7 - 1), 'int16': (-2**15, 2**15 - 1), 'int32': (-2**31, 2**31 - 1),
    'int64': (-2**63, 2**63 - 1), 'uint16': (0, 2**16 - 1), 'uint32': (0, 2**32 - 1),
}
# strong_type annotation -> the wire type it wraps (types from keel/common/types.h).
STRONG_TYPES = {
    'Offset': 'int64', 'PartitionId': 'int32', 'LeaderEpoch': 'int32', 'GenerationId': 'int32',
    'ProducerId': 'int64', 'ProducerEpoch': 'int16', 'NodeId': 'int32',
}
API_KEYS = {'api_key', 'name', 'about', 'valid_versions', 'flexible_from', 'request', 'response'}
DATA_KEYS = {'name', 'about', 'valid_versions', 'flexible_from', 'fields'}
MESSAGE_KEYS = {'about', 'fields'}
FIELD_KEYS = {'name', 'type', 'versions', 'nullable_versions', 'default', 'tag', 'tagged_versions',
              'ignorable', 'about', 'strong_type', 'sensitive', 'fields'}
CPP_KEYWORDS = set('''alignas alignof and and_eq asm auto bitand bitor bool break case catch char
char8_t char16_t char32_t class compl concept const consteval constexpr constinit const_cast continue
co_await co_return co_yield decltype default delete do double dynamic_cast else enum explicit export
extern false float for friend goto if inline int long mutable namespace new noexcept not not_eq
nullptr operator or or_eq private protected public register reinterpret_cast requires return short
signed sizeof static static_assert static_cast struct switch template this thread_local throw true
try typedef typeid typename union unsigned using virtual void volatile wchar_t while xor xor_eq'''.split())
RESERVED_MEMBERS = {'unknown_tagged_fields', 'rd', 'wr', 'ver', 'out'}


class SchemaError(Exception):
    pass


class Versions:
    """An inclusive version range [lo, hi]; empty when lo > hi."""

    def __init__(self, lo, hi, open_ended=False):
        self.lo, self.hi, self.open_ended = lo, hi, open_ended

    def empty(self):
        return self.lo > self.hi

    def contains(self, other):
        return other.empty() or (self.lo <= other.lo and other.hi <= self.hi)

    def intersect(self, other):
        return Versions(max(self.lo, other.lo), min(self.hi, other.hi))

    def __str__(self):
        if self.empty():
            return 'none'
        if self.open_ended:
            return f'{self.lo}+'
        return f'{self.lo}' if self.lo == self.hi else f'{self.lo}-{self.hi}'


NONE = Versions(1, 0)


def parse_versions(text, where, message_range=None):
    if not isinstance(text, str):
        raise SchemaError(f'{where}: version range must be a string like "3+", "0-4" or "2"')
    m = re.fullmatch(r'(\d+)\+|(\d+)-(\d+)|(\d+)', text)
    if not m:
        raise SchemaError(f'{where}: bad version range "{text}" (use "N+", "N-M" or "N")')
    if m.group(1) is not None:
        lo = int(m.group(1))
        hi = message_range.hi if message_range else MAX_VERSION
        v = Versions(lo, hi, True)
    elif m.group(2) is not None:
        v = Versions(int(m.group(2)), int(m.group(3)))
    else:
        v = Versions(int(m.group(4)), int(m.group(4)))
    if v.lo > v.hi or v.hi > MAX_VERSION:
        raise SchemaError(f'{where}: empty or out-of-range version range "{text}"')
    if message_range is not None and not message_range.contains(v):
        raise SchemaError(f'{where}: versions "{text}" fall outside the valid versions {message_range}')
    return v


class Field:
    pass


class Struct:
    def __init__(self, name, fields, parent):
        self.name, self.fields, self.parent = name, fields, parent

    def qualified(self):
        return self.name if self.parent is None else f'{self.parent.qualified()}::{self.name}'


class Message:
    """One generated top-level struct (a request, a response or a data record)."""

    def __init__(self, struct, versions, flexible, api_key=None, kind=None):
        self.struct, self.versions, self.flexible = struct, versions, flexible
        self.api_key, self.kind = api_key, kind


class Api:
    def __init__(self, name, api_key, versions, flexible, request, response, stem):
        self.name, self.api_key, self.versions, self.flexible = name, api_key, versions, flexible
        self.request, self.response, self.stem = request, response, stem


def snake(name):
    s = re.sub(r'([A-Z]+)([A-Z][a-z])', r'\1_\2', name)
    return re.sub(r'([a-z0-9])([A-Z])', r'\1_\2', s).lower()


def _check_keys(obj, allowed, where):
    if not isinstance(obj, dict):
        raise SchemaError(f'{where}: expected an object')
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise SchemaError(f'{where}: unknown key(s) {", ".join(unknown)} (allowed: {", ".join(sorted(allowed))})')


def _check_default(f, where):
    d = f.default
    base = f.base
    if d is None and not f.has_default:
        return
    if d is None:
        if f.nullable.empty():
            raise SchemaError(f'{where}: default null needs nullable_versions')
        return
    if f.is_array or f.struct is not None or base in ('uuid', 'bytes', 'records'):
        raise SchemaError(f'{where}: only null may be given as the default of a {f.type} field')
    if base in INT_RANGES:
        if isinstance(d, bool) or not isinstance(d, int):
            raise SchemaError(f'{where}: default {d!r} is not an integer')
        lo, hi = INT_RANGES[base]
        if not lo <= d <= hi:
            raise SchemaError(f'{where}: default {d} does not fit {base}')
    elif base == 'bool' and not isinstance(d, bool):
        raise SchemaError(f'{where}: default {d!r} is not true/false')
    elif base == 'float64' and (isinstance(d, bool) or not isinstance(d, (int, float))):
        raise SchemaError(f'{where}: default {d!r} is not a number')
    elif base == 'string' and not isinstance(d, str):
        raise SchemaError(f'{where}: default {d!r} is not a string')


def _parse_fields(raw_fields, where, msg_range, flexible, parent, seen_struct_names):
    if not isinstance(raw_fields, list):
        raise SchemaError(f'{where}: "fields" must be a list')
    fields, names, tags = [], set(), {}
    for i, raw in enumerate(raw_fields):
        fw = f'{where}.fields[{i}]'
        _check_keys(raw, FIELD_KEYS, fw)
        for req in ('name', 'type', 'versions'):
            if req not in raw:
                raise SchemaError(f'{fw}: missing "{req}"')
        f = Field()
        f.name = raw['name']
        fw = f'{where}.{f.name}' if isinstance(f.name, str) else fw
        if not isinstance(f.name, str) or not re.fullmatch(r'[a-z][a-z0-9_]*', f.name):
            raise SchemaError(f'{fw}: field name must be snake_case')
        if f.name in CPP_KEYWORDS or f.name in RESERVED_MEMBERS:
            raise SchemaError(f'{fw}: field name "{f.name}" is reserved')
        if f.name in names:
            raise SchemaError(f'{fw}: duplicate field name')
        names.add(f.name)
        f.type = raw['type']
        if not isinstance(f.type, str):
            raise SchemaError(f'{fw}: type must be a string')
        f.is_array = f.type.startswith('[]')
        f.base = f.type[2:] if f.is_array else f.type
        f.versions = parse_versions(raw['versions'], f'{fw}.versions', msg_range)
        f.about = raw.get('about', '')
        if not isinstance(f.about, str):
            raise SchemaError(f'{fw}: about must be a string')
        for flag in ('ignorable', 'sensitive'):
            if flag in raw and not isinstance(raw[flag], bool):
                raise SchemaError(f'{fw}: {flag} must be true or false')
        f.sensitive = raw.get('sensitive', False)
        f.nullable = NONE
        if 'nullable_versions' in raw:
            f.nullable = parse_versions(raw['nullable_versions'], f'{fw}.nullable_versions', msg_range)
            if not f.versions.contains(f.nullable):
                raise SchemaError(f'{fw}: nullable_versions {f.nullable} outside the field versions {f.versions}')
            if not (f.is_array or f.base in VARIABLE):
                raise SchemaError(f'{fw}: only strings, bytes, records and arrays can be nullable')
        f.struct = None
        if f.base in FIXED or f.base in VARIABLE:
            if 'fields' in raw:
                raise SchemaError(f'{fw}: a {f.type} field cannot have "fields"')
            if f.is_array and f.base == 'records':
                raise SchemaError(f'{fw}: arrays of records are not supported')
        elif re.fullmatch(r'[A-Z][A-Za-z0-9]*', f.base):
            if 'fields' not in raw or not raw['fields']:
                raise SchemaError(f'{fw}: struct type {f.base} needs a non-empty "fields" list')
            if f.base in seen_struct_names or f.base == parent.name or f.base == 'Versions':
                raise SchemaError(f'{fw}: struct name {f.base} clashes with a sibling or enclosing struct')
            seen_struct_names.add(f.base)
            f.struct = Struct(f.base, None, parent)
            f.struct.fields = _parse_fields(raw['fields'], fw, msg_range, flexible, f.struct, set())
        else:
            raise SchemaError(f'{fw}: unknown type "{f.type}"')
        f.strong_type = raw.get('strong_type')
        if f.strong_type is not None:
            if f.strong_type not in STRONG_TYPES:
                raise SchemaError(f'{fw}: unknown strong_type "{f.strong_type}" (known: {", ".join(sorted(STRONG_TYPES))})')
            if STRONG_TYPES[f.strong_type] != f.base:
                raise SchemaError(f'{fw}: strong_type {f.strong_type} wraps {STRONG_TYPES[f.strong_type]}, not {f.base}')
        f.has_default = 'default' in raw
        f.default = raw.get('default')
        _check_default(f, fw)
        f.tag = raw.get('tag')
        f.tagged = NONE
        if f.tag is None:
            if 'tagged_versions' in raw:
                raise SchemaError(f'{fw}: tagged_versions given without a tag')
        else:
            if isinstance(f.tag, bool) or not isinstance(f.tag, int) or not 0 <= f.tag < 2**31:
                raise SchemaError(f'{fw}: tag must be a non-negative integer')
            if f.tag in tags:
                raise SchemaError(f'{fw}: tag {f.tag} already used by {tags[f.tag]}')
            tags[f.tag] = f.name
            if 'tagged_versions' not in raw:
                raise SchemaError(f'{fw}: a tagged field needs tagged_versions')
            f.tagged = parse_versions(raw['tagged_versions'], f'{fw}.tagged_versions', msg_range)
            if flexible.empty() or not flexible.contains(f.tagged):
                raise SchemaError(f'{fw}: tagged_versions {f.tagged} outside the flexible versions {flexible}')
            if (f.tagged.lo, f.tagged.hi) != (f.versions.lo, f.versions.hi):
                raise SchemaError(f'{fw}: a tagged field must have versions equal to its tagged_versions')
            if f.struct is None and f.is_array is False and f.base == 'records':
                raise SchemaError(f'{fw}: records cannot be tagged')
        fields.append(f)
    return fields


def _load_json(path):
    try:
        with open(path, encoding='utf-8') as fh:
            return json.load(fh)
    except json.JSONDecodeError as e:
        raise SchemaError(f'invalid JSON: {e}')


def _message_header(doc, stem):
    name = doc.get('name')
    if not isinstance(name, str) or not re.fullmatch(r'[A-Z][A-Za-z0-9]*', name):
        raise SchemaError('"name" must be a CamelCase identifier')
    if snake(name) != stem:
        raise SchemaError(f'file name must be {snake(name)}.json for {name}')
    if 'valid_versions' not in doc:
        raise SchemaError('missing "valid_versions"')
    versions = parse_versions(doc['valid_versions'], 'valid_versions')
    if versions.open_ended:
        raise SchemaError('valid_versions must be closed ("N-M" or "N")')
    if 'flexible_from' not in doc:
        raise SchemaError('missing "flexible_from" (a version, or null for never)')
    ff = doc['flexible_from']
    if ff is None:
        flexible = NONE
    else:
        if isinstance(ff, bool) or not isinstance(ff, int) or not versions.lo <= ff <= versions.hi:
            raise SchemaError(f'flexible_from {ff!r} must be null or a version within {versions}')
        flexible = Versions(ff, versions.hi, True)
    return name, versions, flexible


def load_api(path, stem):
    try:
        doc = _load_json(path)
        _check_keys(doc, API_KEYS, 'top level')
        name, versions, flexible = _message_header(doc, stem)
        key = doc.get('api_key')
        if isinstance(key, bool) or not isinstance(key, int) or not 0 <= key <= MAX_VERSION:
            raise SchemaError('"api_key" must be a non-negative integer')
        msgs = []
        for kind in ('request', 'response'):
            if kind not in doc:
                raise SchemaError(f'missing "{kind}"')
            _check_keys(doc[kind], MESSAGE_KEYS, kind)
            top = Struct(f'{name}{kind.capitalize()}', None, None)
            top.fields = _parse_fields(doc[kind].get('fields', []), kind, versions, flexible, top, set())
            msgs.append(Message(top, versions, flexible, key, kind))
        return Api(name, key, versions, flexible, msgs[0], msgs[1], stem)
    except SchemaError as e:
        raise SchemaError(f'{path}: {e}') from None


def load_data(path, stem):
    try:
        doc = _load_json(path)
        _check_keys(doc, DATA_KEYS, 'top level')
        name, versions, flexible = _message_header(doc, stem)
        top = Struct(name, None, None)
        top.fields = _parse_fields(doc.get('fields', []), name, versions, flexible, top, set())
        msg = Message(top, versions, flexible, None, 'data')
        msg.stem = stem
        return msg
    except SchemaError as e:
        raise SchemaError(f'{path}: {e}') from None
