// Governing spec: 010-runtime-stack
#include "traverse/events/envelope_validation.hpp"

#include <gtest/gtest.h>

#include "event_test_support.hpp"

namespace traverse {
namespace {

std::vector<std::string> codes(const EnvelopeValidation& v) {
  std::vector<std::string> out;
  for (const auto& d : v.diagnostics)
    out.push_back(d.code);
  return out;
}

TEST(EnvelopeValidation, CompleteEventHasNoDiagnosticsInEitherMode) {
  const auto e = event_test::valid_event("e1");
  for (auto mode : {EventValidationMode::Migration, EventValidationMode::Enforcement}) {
    const auto v = validate_envelope(e, mode);
    EXPECT_TRUE(v.accepted);
    EXPECT_TRUE(v.diagnostics.empty());
  }
}

TEST(EnvelopeValidation, EmptyEnvelopeReportsAllCodesInTheFixedOrder) {
  TraverseEvent e;
  e.id = " ";
  e.datacontenttype = "\t";
  e.version = "one";
  e.event_type = "nodots";
  e.ordering_scope = "";
  const auto v = validate_envelope(e, EventValidationMode::Enforcement);
  EXPECT_FALSE(v.accepted);
  EXPECT_EQ(codes(v), (std::vector<std::string>{"EVP-001", "EVP-002", "EVP-003", "EVP-004",
                                                "EVP-005", "EVP-008", "EVP-009", "EVP-010",
                                                "EVP-011", "EVP-006", "EVP-007"}));
  std::vector<std::string> paths;
  for (const auto& d : v.diagnostics)
    paths.push_back(d.path);
  EXPECT_EQ(paths, (std::vector<std::string>{
                       "/id", "/source", "/datacontenttype", "/time", "/owner", "/deduplicationid",
                       "/orderingscope", "/correlationid", "/causationid", "/version", "/type"}));
  for (const auto& d : v.diagnostics) {
    EXPECT_EQ(d.severity, "error");
    EXPECT_EQ(d.contract_id, "nodots");
    EXPECT_EQ(d.version, "one");
    EXPECT_FALSE(d.remediation.empty());
  }
}

TEST(EnvelopeValidation, MigrationAcceptsWhatEnforcementRejects) {
  TraverseEvent e = event_test::valid_event("e1");
  e.correlation_id.reset();  // like a WASM-emitted event (docs/traces-and-events.md)
  e.causation_id.reset();
  const auto migration = validate_envelope(e, EventValidationMode::Migration);
  EXPECT_TRUE(migration.accepted);
  EXPECT_EQ(codes(migration), (std::vector<std::string>{"EVP-010", "EVP-011"}));
  const auto enforcement = validate_envelope(e, EventValidationMode::Enforcement);
  EXPECT_FALSE(enforcement.accepted);
  EXPECT_EQ(codes(enforcement), codes(migration));
}

TEST(EnvelopeValidation, FactNameNeedsADotAndAPastTenseLastSegment) {
  auto with_type = [](std::string type) {
    return codes(validate_envelope(event_test::valid_event("e", std::move(type)),
                                   EventValidationMode::Migration));
  };
  EXPECT_TRUE(with_type("core.order.placed").empty());
  EXPECT_TRUE(with_type("a.ed").empty());
  EXPECT_EQ(with_type("core.order.place"), std::vector<std::string>{"EVP-007"});
  EXPECT_EQ(with_type("core.order."), std::vector<std::string>{"EVP-007"});
  EXPECT_EQ(with_type("placed"), std::vector<std::string>{"EVP-007"});
}

TEST(EnvelopeValidation, VersionMustBeSemver) {
  TraverseEvent e = event_test::valid_event("e1");
  e.version = "1.0";
  EXPECT_EQ(codes(validate_envelope(e, EventValidationMode::Migration)),
            std::vector<std::string>{"EVP-006"});
  e.version = "2.1.0-rc.1";
  EXPECT_TRUE(validate_envelope(e, EventValidationMode::Migration).diagnostics.empty());
}

}  // namespace
}  // namespace traverse
