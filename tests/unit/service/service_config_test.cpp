// Governing spec: 050-service
#include "traverse/service/service_config.hpp"

#include <gtest/gtest.h>

namespace traverse {
namespace {

TEST(ServiceConfigTest, DefaultsAreValidAndBoundsAreChecked) {
  ServiceConfig config;
  EXPECT_TRUE(validate(config).has_value());
  config.io_threads = 0;
  const auto invalid = validate(config);
  ASSERT_FALSE(invalid.has_value());
  EXPECT_EQ(invalid.error().kind(), ServiceErrorKind::InvalidConfig);
  EXPECT_NE(invalid.error().message().find("io_threads"), std::string::npos);
}

TEST(ServiceConfigTest, TlsCertificateAndKeyComeAsAPair) {
  ServiceConfig config;
  config.tls_cert_file = "server.pem";
  const auto cert_only = validate(config);
  ASSERT_FALSE(cert_only.has_value());
  EXPECT_EQ(cert_only.error().kind(), ServiceErrorKind::InvalidConfig);
  EXPECT_NE(cert_only.error().message().find("without tls_key_file"), std::string::npos);

  config.tls_cert_file.clear();
  config.tls_key_file = "server.key";
  const auto key_only = validate(config);
  ASSERT_FALSE(key_only.has_value());
  EXPECT_NE(key_only.error().message().find("without tls_cert_file"), std::string::npos);

  config.tls_cert_file = "server.pem";
  EXPECT_TRUE(validate(config).has_value());
}

TEST(ServiceConfigTest, LoopbackAddressesAreRecognised) {
  EXPECT_TRUE(is_loopback_address("127.0.0.1"));
  EXPECT_TRUE(is_loopback_address("127.1.2.3"));
  EXPECT_TRUE(is_loopback_address("::1"));
  EXPECT_TRUE(is_loopback_address("localhost"));
  EXPECT_FALSE(is_loopback_address("0.0.0.0"));
  EXPECT_FALSE(is_loopback_address("10.0.0.1"));
  EXPECT_FALSE(is_loopback_address("::"));
  EXPECT_FALSE(is_loopback_address("not-an-address"));
}

}  // namespace
}  // namespace traverse
