// Zero-copy fetch: records fields of a response that are sent from segment
// files with sendfile(2) instead of from memory.
//
// The handler puts into the field's RecordsRef a placeholder span: a distinct
// address, kept allocated by the reply's owner and never read, with the
// records' total size (so the encoder writes the right length and leaves the
// bytes as one external fragment). After encoding, ApplyFileSubstitutions
// finds each placeholder's fragment and marks it to be sent from the file
// ranges.
#pragma once

#include <cstdint>
#include <vector>

#include "keel/server/request_processor.h"

namespace keel::server {

struct FileSubstitution {
  const uint8_t* placeholder = nullptr;
  std::vector<FileRange> ranges;  // sizes sum to the placeholder span's size
};

// Fills out.from_files for the fragments that are placeholders. False if a
// substitution has no fragment of its size, or its ranges do not add up: the
// response must then not be sent (its placeholder bytes would go out).
bool ApplyFileSubstitutions(std::vector<FileSubstitution> files, OutboundResponse& out);

}  // namespace keel::server
