#!/usr/bin/env python3
"""Keel protocol code generator (Python 3 standard library only).

Reads schema files (format: proto/README.md), validates them strictly and
writes C++ under --out:
  keel/protocol/messages/<stem>.{h,cc}   one pair per API schema
  keel/protocol/messages/api_keys.h      enum class ApiKey
  keel/protocol/messages/api_table.cc    AllApis() data
  keel/protocol/messages/all.h           every API header plus VisitApi()
  keel/protocol/internal/<stem>.{h,cc}   one pair per data schema
  keel/protocol/testing/samples.{h,cc}   test-only FillSample() helpers
Files are rewritten only when their content changes. Any schema error is
reported as "<file>: <where>: <problem>" and the exit status is 1.
  --check   validate only, write nothing.
"""
import argparse
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import emit_cpp  # noqa: E402
import schema  # noqa: E402


def stem_of(path):
    return os.path.splitext(os.path.basename(path))[0]


def rel(path, root):
    if root:
        try:
            return os.path.relpath(path, root)
        except ValueError:
            pass
    return os.path.basename(path)


def write_if_changed(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.exists(path):
        with open(path, encoding='utf-8') as fh:
            if fh.read() == text:
                return
    with open(path, 'w', encoding='utf-8') as fh:
        fh.write(text)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', help='output root (the gen/ include directory)')
    ap.add_argument('--source-root', default='', help='prefix stripped from schema paths in comments')
    ap.add_argument('--api', nargs='*', default=[], help='API schema files (proto/kafka/*.json)')
    ap.add_argument('--data', nargs='*', default=[], help='data record schema files (proto/internal/*.json)')
    ap.add_argument('--check', action='store_true', help='validate only')
    args = ap.parse_args(argv)
    if not args.check and not args.out:
        ap.error('--out is required unless --check is given')

    try:
        apis = [schema.load_api(p, stem_of(p)) for p in args.api]
        datas = [schema.load_data(p, stem_of(p)) for p in args.data]
        keys, names = {}, {}
        for a, p in zip(apis, args.api):
            if a.api_key in keys:
                raise schema.SchemaError(f'{p}: api_key {a.api_key} already used by {keys[a.api_key]}')
            keys[a.api_key] = p
        for m, p in zip([a.request for a in apis] + [a.response for a in apis] + datas,
                        args.api + args.api + args.data):
            if m.struct.name in names and names[m.struct.name] != p:
                raise schema.SchemaError(f'{p}: message name {m.struct.name} already defined in {names[m.struct.name]}')
            names[m.struct.name] = p
    except schema.SchemaError as e:
        print(f'kafka_codegen: schema error: {e}', file=sys.stderr)
        return 1
    if args.check:
        return 0

    out = args.out
    for a, p in zip(apis, args.api):
        src = rel(p, args.source_root)
        hdr = f'keel/protocol/messages/{a.stem}.h'
        doc = f'The {a.name} API (key {a.api_key}), versions {a.versions}.'
        write_if_changed(os.path.join(out, hdr), emit_cpp.emit_header(src, [a.request, a.response], doc))
        write_if_changed(os.path.join(out, f'keel/protocol/messages/{a.stem}.cc'),
                         emit_cpp.emit_source(src, hdr, [a.request, a.response]))
    write_if_changed(os.path.join(out, 'keel/protocol/messages/api_keys.h'), emit_cpp.emit_api_keys(apis))
    write_if_changed(os.path.join(out, 'keel/protocol/messages/api_table.cc'), emit_cpp.emit_api_table(apis))
    write_if_changed(os.path.join(out, 'keel/protocol/messages/all.h'), emit_cpp.emit_all(apis))
    for m, p in zip(datas, args.data):
        src = rel(p, args.source_root)
        hdr = f'keel/protocol/internal/{m.stem}.h'
        doc = f'The {m.struct.name} record, versions {m.versions}.'
        write_if_changed(os.path.join(out, hdr), emit_cpp.emit_header(src, [m], doc))
        write_if_changed(os.path.join(out, f'keel/protocol/internal/{m.stem}.cc'),
                         emit_cpp.emit_source(src, hdr, [m]))
    samples_h, samples_cc = emit_cpp.emit_samples(apis, datas)
    write_if_changed(os.path.join(out, 'keel/protocol/testing/samples.h'), samples_h)
    write_if_changed(os.path.join(out, 'keel/protocol/testing/samples.cc'), samples_cc)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
