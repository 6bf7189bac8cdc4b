#!/usr/bin/env python3
"""The code generator must reject broken schemas with a clear message (and
accept the real ones). Run by CTest: codegen_validation_test.py <generator> <proto dir>."""
import copy
import json
import os
import subprocess
import sys
import tempfile
import unittest

GENERATOR = None
PROTO_DIR = None

VALID = {
    'api_key': 900,
    'name': 'Sample',
    'valid_versions': '0-3',
    'flexible_from': 2,
    'request': {'fields': [
        {'name': 'topic', 'type': 'string', 'versions': '0+'},
        {'name': 'items', 'type': '[]Item', 'versions': '1+', 'nullable_versions': '1+', 'fields': [
            {'name': 'offset', 'type': 'int64', 'versions': '1+', 'strong_type': 'Offset'},
        ]},
        {'name': 'extra', 'type': 'int32', 'versions': '2+', 'tag': 0, 'tagged_versions': '2+', 'default': -1},
    ]},
    'response': {'fields': [{'name': 'error_code', 'type': 'int16', 'versions': '0+'}]},
}


def run(doc, name='sample.json', kind='--api'):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, name)
        with open(path, 'w') as fh:
            if isinstance(doc, str):
                fh.write(doc)
            else:
                json.dump(doc, fh)
        p = subprocess.run([sys.executable, GENERATOR, '--check', kind, path], capture_output=True, text=True)
        return p.returncode, p.stderr


def broken(mutate):
    doc = copy.deepcopy(VALID)
    mutate(doc)
    return doc


class CodegenValidationTest(unittest.TestCase):
    def expect_error(self, doc, fragment, **kw):
        code, err = run(doc, **kw)
        self.assertEqual(code, 1, f'accepted a broken schema (expected "{fragment}")')
        self.assertIn('schema error', err)
        self.assertIn(fragment, err)

    def test_valid_schema_is_accepted(self):
        code, err = run(VALID)
        self.assertEqual(code, 0, err)

    def test_real_schemas_are_accepted(self):
        api = sorted(os.path.join(PROTO_DIR, 'kafka', f) for f in os.listdir(os.path.join(PROTO_DIR, 'kafka')))
        args = [sys.executable, GENERATOR, '--check', '--api'] + api
        internal_dir = os.path.join(PROTO_DIR, 'internal')
        if os.path.isdir(internal_dir):
            args += ['--data'] + sorted(os.path.join(internal_dir, f) for f in os.listdir(internal_dir))
        p = subprocess.run(args, capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_invalid_json(self):
        self.expect_error('{"api_key": 1,', 'invalid JSON')

    def test_unknown_top_level_key(self):
        self.expect_error(broken(lambda d: d.update(flexibleVersions='2+')), 'unknown key(s) flexibleVersions')

    def test_unknown_field_key(self):
        self.expect_error(broken(lambda d: d['request']['fields'][0].update(nullable='0+')), 'unknown key(s) nullable')

    def test_bad_version_syntax(self):
        self.expect_error(broken(lambda d: d['request']['fields'][0].update(versions='1..3')), 'bad version range')

    def test_inverted_version_range(self):
        self.expect_error(broken(lambda d: d.update(valid_versions='3-1')), 'empty or out-of-range')

    def test_field_versions_outside_message(self):
        self.expect_error(broken(lambda d: d['request']['fields'][0].update(versions='2-7')), 'outside the valid versions')

    def test_flexible_from_outside_range(self):
        self.expect_error(broken(lambda d: d.update(flexible_from=9)), 'flexible_from 9')

    def test_nullable_outside_field_versions(self):
        self.expect_error(broken(lambda d: d['request']['fields'][1].update(nullable_versions='0+')),
                          'nullable_versions 0+ outside the field versions 1+')

    def test_nullable_int_rejected(self):
        self.expect_error(broken(lambda d: d['response']['fields'][0].update(nullable_versions='0+')),
                          'only strings, bytes, records and arrays can be nullable')

    def test_unknown_type(self):
        self.expect_error(broken(lambda d: d['response']['fields'][0].update(type='int128')), 'unknown type')

    def test_struct_without_fields(self):
        self.expect_error(broken(lambda d: d['request']['fields'][1].pop('fields')), 'needs a non-empty "fields"')

    def test_duplicate_field_name(self):
        self.expect_error(broken(lambda d: d['response']['fields'].append(
            {'name': 'error_code', 'type': 'int16', 'versions': '0+'})), 'duplicate field name')

    def test_cpp_keyword_field_name(self):
        self.expect_error(broken(lambda d: d['response']['fields'][0].update(name='default')), 'reserved')

    def test_camel_case_field_name(self):
        self.expect_error(broken(lambda d: d['response']['fields'][0].update(name='ErrorCode')), 'snake_case')

    def test_tag_overlap(self):
        self.expect_error(broken(lambda d: d['request']['fields'].append(
            {'name': 'more', 'type': 'int8', 'versions': '2+', 'tag': 0, 'tagged_versions': '2+'})),
            'tag 0 already used by extra')

    def test_tagged_field_outside_flexible_versions(self):
        def m(d):
            f = d['request']['fields'][2]
            f['versions'] = '1+'
            f['tagged_versions'] = '1+'
        self.expect_error(broken(m), 'outside the flexible versions')

    def test_tagged_field_in_never_flexible_message(self):
        self.expect_error(broken(lambda d: d.update(flexible_from=None)), 'outside the flexible versions')

    def test_tag_without_tagged_versions(self):
        self.expect_error(broken(lambda d: d['request']['fields'][2].pop('tagged_versions')), 'needs tagged_versions')

    def test_tagged_versions_without_tag(self):
        self.expect_error(broken(lambda d: d['request']['fields'][2].pop('tag')), 'without a tag')

    def test_default_of_wrong_type(self):
        self.expect_error(broken(lambda d: d['request']['fields'][2].update(default='x')), 'not an integer')

    def test_default_out_of_range(self):
        self.expect_error(broken(lambda d: d['response']['fields'][0].update(default=70000)), 'does not fit int16')

    def test_null_default_on_non_nullable(self):
        self.expect_error(broken(lambda d: d['request']['fields'][0].update(default=None)), 'needs nullable_versions')

    def test_strong_type_width_mismatch(self):
        self.expect_error(broken(lambda d: d['response']['fields'][0].update(strong_type='Offset')),
                          'wraps int64, not int16')

    def test_unknown_strong_type(self):
        self.expect_error(broken(lambda d: d['response']['fields'][0].update(strong_type='Bogus')), 'unknown strong_type')

    def test_file_name_must_match_message_name(self):
        self.expect_error(VALID, 'file name must be sample.json', name='other.json')

    def test_missing_response(self):
        self.expect_error(broken(lambda d: d.pop('response')), 'missing "response"')


if __name__ == '__main__':
    GENERATOR, PROTO_DIR = sys.argv[1], sys.argv[2]
    unittest.main(argv=[sys.argv[0], '-v'])
