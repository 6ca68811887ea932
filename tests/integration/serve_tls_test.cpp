// Governing spec: 050-service
// `traverse serve --tls-cert --tls-key` end to end: a self-signed certificate made at test time
// (OpenSSL's C API), the real binary on 127.0.0.1 port 0, curl over HTTPS verifying against the
// certificate, a WebSocket client over TLS (python3 websockets with an ssl context), plain HTTP
// to the TLS port refused cleanly, and the start-time checks of the certificate and key.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "serve_test_support.hpp"

namespace traverse::serve_test {
namespace {

const std::string kWsClient = (kSource / "tests/integration/serve/ws_client.py").string();

struct CertificatePair {
  std::string cert;
  std::string key;
};

// Writes a fresh self-signed certificate for 127.0.0.1 and localhost (EC P-256, valid for an
// hour, its own CA so that clients can trust it with --cacert) and its private key, as PEM.
CertificatePair make_self_signed(const cli_test::TempDir& dir, const std::string& name) {
  CertificatePair files{dir.file(name + ".pem"), dir.file(name + ".key")};
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!key || !cert) {
    ADD_FAILURE() << "OpenSSL could not create a key or certificate";
    return files;
  }
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), subject);
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& [extension, value] : {std::pair{"basicConstraints", "critical,CA:TRUE"},
                                         std::pair{"subjectAltName", "IP:127.0.0.1,DNS:localhost"},
                                         std::pair{"subjectKeyIdentifier", "hash"}}) {
    X509_EXTENSION* made = X509V3_EXT_nconf(nullptr, &context, extension, value);
    EXPECT_NE(made, nullptr) << extension;
    if (made != nullptr) {
      X509_add_ext(cert.get(), made, -1);
      X509_EXTENSION_free(made);
    }
  }
  EXPECT_GT(X509_sign(cert.get(), key.get(), EVP_sha256()), 0);
  FILE* out = std::fopen(files.cert.c_str(), "w");
  EXPECT_NE(out, nullptr);
  if (out != nullptr) {
    EXPECT_EQ(PEM_write_X509(out, cert.get()), 1);
    std::fclose(out);
  }
  out = std::fopen(files.key.c_str(), "w");
  EXPECT_NE(out, nullptr);
  if (out != nullptr) {
    EXPECT_EQ(PEM_write_PrivateKey(out, key.get(), nullptr, nullptr, 0, nullptr, nullptr), 1);
    std::fclose(out);
  }
  return files;
}

// One TLS server for the suite (starting the expedition runtime takes a while).
class ServeTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new cli_test::TempDir();
    files_ = make_self_signed(*dir_, "server");
    server_ = new Server({"--tls-cert", files_.cert, "--tls-key", files_.key});
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }
  static Server& server() { return *server_; }
  static std::string url(const std::string& path) { return server_->url() + path; }
  static const std::string& ca() { return files_.cert; }

 private:
  static cli_test::TempDir* dir_;
  static CertificatePair files_;
  static Server* server_;
};

cli_test::TempDir* ServeTlsTest::dir_ = nullptr;
CertificatePair ServeTlsTest::files_;
Server* ServeTlsTest::server_ = nullptr;

TEST_F(ServeTlsTest, PrintsAnHttpsUrlAndAnswersHealthAndExecuteOverTls) {
  ASSERT_EQ(server().url().rfind("https://127.0.0.1:", 0), 0u) << server().url();
  const auto health = curl({"--cacert", ca(), url("/healthz")});
  ASSERT_EQ(health.status, 200) << health.headers;
  EXPECT_EQ(health.json()["status"], "ok");

  const auto result =
      curl({"--cacert", ca(), "-H", "Content-Type: application/json", "--data-binary",
            "@" + plan_request(), url("/v1/capabilities/execute")});
  ASSERT_EQ(result.status, 200) << result.body;
  const Value document = result.json();
  EXPECT_EQ(document["status"], "completed");
  EXPECT_EQ(document["steps"].size(), 5u);
  const std::string trace_ref = document["trace_ref"];
  const auto trace = curl({"--cacert", ca(), url("/v1/traces/" + trace_ref)});
  EXPECT_EQ(trace.status, 200) << trace.body;
}

TEST_F(ServeTlsTest, KeepAliveRequestsShareOneTlsConnection) {
  // Two URLs in one curl call reuse the connection ("Re-using existing connection").
  const auto result = run(
      {"curl", "-sS", "-v", "--cacert", ca(), "--max-time", "60", url("/healthz"), url("/readyz")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("\"ok\""), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("\"ready\""), std::string::npos) << result.out;
  EXPECT_NE(result.err.find("Re-using existing connection"), std::string::npos) << result.err;
}

TEST_F(ServeTlsTest, ClientsThatDoNotTrustTheCertificateAreRefusedByTheirOwnCheck) {
  // Without --cacert curl cannot verify the self-signed certificate: exit 60, no answer.
  const auto result = run({"curl", "-sS", "--max-time", "60", url("/healthz")});
  EXPECT_EQ(result.exit_code, 60) << result.err;
  EXPECT_EQ(curl({"--cacert", ca(), url("/healthz")}).status, 200);
}

TEST_F(ServeTlsTest, WebSocketOverTlsSeesTheFiveEventsOfARun) {
  const auto before = curl({"--cacert", ca(), url("/metrics")});
  ASSERT_EQ(before.status, 200);
  const std::string series = "\ntraverse_events_last_sequence ";
  const auto position = before.body.find(series);
  ASSERT_NE(position, std::string::npos);
  const std::string last =
      std::to_string(std::atoll(before.body.c_str() + position + series.size()));
  const std::string ws_url = server().ws_url("/v1/events?cursor=" + last);
  ASSERT_EQ(ws_url.rfind("wss://", 0), 0u) << ws_url;
  Process client({"/usr/bin/python3", kWsClient, ws_url, "5", "30", ca()});
  ASSERT_TRUE(client.wait_line("connected", 30s).has_value()) << client.err();
  ASSERT_EQ(curl({"--cacert", ca(), "--data-binary", "@" + plan_request(),
                  url("/v1/capabilities/execute")})
                .status,
            200);
  ASSERT_EQ(client.wait_exit(60s), 0) << client.err();
  const auto lines = cli_test::lines_of(client.out());
  ASSERT_EQ(lines.size(), 6u) << client.out();
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto message = parse_json(lines[i]);
    ASSERT_TRUE(message.has_value()) << lines[i];
    EXPECT_EQ((*message)["kind"], "event");
  }
}

TEST_F(ServeTlsTest, PlainHttpToTheTlsPortIsRefusedAndTheServerStaysUp) {
  const std::string plain = "http://" + server().url().substr(std::string("https://").size());
  const auto refused = curl({plain + "/healthz"});
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(refused.json()["error"]["code"], "invalid_request");
  EXPECT_NE(refused.body.find("HTTPS only"), std::string::npos) << refused.body;
  // A plain WebSocket client fails its handshake the same way.
  Process client(
      {"/usr/bin/python3", kWsClient, "ws://" + plain.substr(7) + "/v1/events", "1", "10"});
  EXPECT_EQ(client.wait_exit(30s), 2);
  // Still serving TLS clients.
  const auto health = curl({"--cacert", ca(), url("/healthz")});
  EXPECT_EQ(health.status, 200);
}

// Start-time checks: no runtime needs serving for these to fail.
std::vector<std::string> serve_args(const cli_test::TempDir& dir) {
  return {TRAVERSE_CLI_PATH, "serve",       "--bundle",   cli_test::example("bundle.json"),
          "--listen",        "127.0.0.1:0", "--trace-db", dir.file("t.db")};
}

TEST(ServeTlsStartTest, OneTlsOptionWithoutTheOtherIsRefused) {
  const cli_test::TempDir dir;
  const auto files = make_self_signed(dir, "server");
  auto cert_only = serve_args(dir);
  cert_only.insert(cert_only.end(), {"--tls-cert", files.cert});
  const auto without_key = run(cert_only);
  EXPECT_EQ(without_key.exit_code, 5) << without_key.err;
  EXPECT_NE(without_key.err.find("--tls-cert needs --tls-key"), std::string::npos)
      << without_key.err;

  auto key_only = serve_args(dir);
  key_only.insert(key_only.end(), {"--tls-key", files.key});
  const auto without_cert = run(key_only);
  EXPECT_EQ(without_cert.exit_code, 5) << without_cert.err;
  EXPECT_NE(without_cert.err.find("--tls-key needs --tls-cert"), std::string::npos)
      << without_cert.err;
}

TEST(ServeTlsStartTest, MissingMalformedOrMismatchedFilesAreClearErrorsAtStart) {
  const cli_test::TempDir dir;
  const auto first = make_self_signed(dir, "first");
  const auto second = make_self_signed(dir, "second");
  const std::string garbage = dir.write("garbage.pem", "not a certificate\n");

  auto missing = serve_args(dir);
  missing.insert(missing.end(), {"--tls-cert", dir.file("absent.pem"), "--tls-key", first.key});
  const auto absent = run(missing);
  EXPECT_EQ(absent.exit_code, 4) << absent.err;
  EXPECT_NE(absent.err.find("absent.pem cannot be read"), std::string::npos) << absent.err;

  auto malformed = serve_args(dir);
  malformed.insert(malformed.end(), {"--tls-cert", garbage, "--tls-key", first.key});
  const auto bad_cert = run(malformed);
  EXPECT_EQ(bad_cert.exit_code, 2) << bad_cert.err;
  EXPECT_NE(bad_cert.err.find("garbage.pem is not a PEM certificate chain"), std::string::npos)
      << bad_cert.err;
  EXPECT_EQ(bad_cert.out.find("https://"), std::string::npos) << "it must not start listening";

  auto mismatched = serve_args(dir);
  mismatched.insert(mismatched.end(), {"--tls-cert", first.cert, "--tls-key", second.key});
  const auto wrong_key = run(mismatched);
  EXPECT_EQ(wrong_key.exit_code, 2) << wrong_key.err;
  EXPECT_NE(wrong_key.err.find("second.key"), std::string::npos) << wrong_key.err;
  EXPECT_NE(wrong_key.err.find("first.pem"), std::string::npos) << wrong_key.err;
}

}  // namespace
}  // namespace traverse::serve_test
