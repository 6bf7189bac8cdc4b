// The dispatch table: one HandlerEntry per implemented API, sorted by key.
// ApiVersions advertises exactly these ranges.
#pragma once

#include <span>

#include "handler.h"

namespace keel::server {

std::span<const HandlerEntry> AllHandlers();
const HandlerEntry* FindHandler(int16_t api_key);

}  // namespace keel::server
