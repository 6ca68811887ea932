// apps/traverse/schema_option.hpp — the `--schema-profile strict|reference` option every
// executing command (run, workflow run, package run) carries, added in one place.
#pragma once

#include <CLI/CLI.hpp>

#include "traverse/contracts/schema_profile.hpp"

namespace traverse::cli {

// Adds --schema-profile to `command`, storing the choice in `profile` (which must outlive the
// command). Default strict.
void add_schema_profile_option(CLI::App* command, SchemaProfile& profile);

}  // namespace traverse::cli
