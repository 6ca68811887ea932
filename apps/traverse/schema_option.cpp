#include "schema_option.hpp"

#include <string>

namespace traverse::cli {

void add_schema_profile_option(CLI::App* command, SchemaProfile& profile) {
  command
      ->add_option_function<std::string>(
          "--schema-profile",
          [&profile](const std::string& text) {
            profile = parse_schema_profile(text).value_or(SchemaProfile::Strict);
          },
          "How capability inputs and outputs are checked against their JSON Schemas: strict "
          "(default; every supported keyword) or reference (only type, required, properties "
          "and items, as Rust Traverse; docs/compatibility.md)")
      ->check(CLI::IsMember({"strict", "reference"}))
      ->type_name("PROFILE");
}

}  // namespace traverse::cli
