// Governing spec: 001-artifact-formats
#include "traverse/contracts/validation_error.hpp"

#include <gtest/gtest.h>

namespace traverse {
namespace {

TEST(ValidationError, ToStringNamesFilePathCodeAndMessage) {
  const ValidationError with_file{"InvalidSemver", "$.version", "\"1.0\" is not a semantic version",
                                  "contracts/a.json"};
  EXPECT_EQ(to_string(with_file),
            "contracts/a.json: $.version: InvalidSemver: \"1.0\" is not a semantic version");
  const ValidationError without_file{"MissingRequiredField", "$.id",
                                     "required field 'id' is missing", ""};
  EXPECT_EQ(to_string(without_file), "$.id: MissingRequiredField: required field 'id' is missing");
}

TEST(ValidationError, AttachFileKeepsExistingFiles) {
  ValidationErrors errors{{"A", "$", "m", ""}, {"B", "$.x", "m", "other.json"}};
  attach_file(errors, "manifest.json");
  EXPECT_EQ(errors[0].file(), "manifest.json");
  EXPECT_EQ(errors[1].file(), "other.json");
}

TEST(ValidationError, KindClassifiesEveryCodeCallersActOn) {
  const auto kind_of = [](std::string code) {
    return ValidationError{std::move(code), "$", "m", ""}.kind();
  };
  EXPECT_EQ(kind_of("IoError"), ValidationErrorKind::Unreadable);
  EXPECT_EQ(kind_of("ImmutableVersionConflict"), ValidationErrorKind::Conflict);
  EXPECT_EQ(kind_of("EventTypeConflict"), ValidationErrorKind::Conflict);
  EXPECT_EQ(kind_of("PackageContractConflict"), ValidationErrorKind::Conflict);
  EXPECT_EQ(kind_of("CapacityExceeded"), ValidationErrorKind::CapacityExceeded);
  EXPECT_EQ(kind_of("InvalidSemver"), ValidationErrorKind::Invalid);
  EXPECT_EQ(kind_of("DuplicateKey"), ValidationErrorKind::Invalid);
  EXPECT_EQ(to_string(ValidationErrorKind::Conflict), "Conflict");
}

TEST(ValidationError, RebasePathReRootsUnderTheEnclosingDocument) {
  ValidationError nested{"InvalidSchema", "$.properties.a", "m"};
  nested.rebase_path("$.inputs.schema");
  EXPECT_EQ(nested.path(), "$.inputs.schema.properties.a");
  ValidationError rootless{"InvalidSchema", "", "m"};
  rootless.rebase_path("$.inputs.schema");
  EXPECT_EQ(rootless.path(), "$.inputs.schema");
}

TEST(ValidationError, MemberToStringIsTheOneLineForm) {
  const ValidationError error{"InvalidSemver", "$.version", "expected x.y.z", "c.json"};
  EXPECT_EQ(error.to_string(), "c.json: $.version: InvalidSemver: expected x.y.z");
  EXPECT_EQ(error.to_string(), to_string(error));
}

}  // namespace
}  // namespace traverse
