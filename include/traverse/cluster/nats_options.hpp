// traverse/cluster/nats_options.hpp — how to reach and authenticate to a NATS server.
//
// Everything here is passed through to the official NATS C client (libnats): the URL (one or a
// comma-separated list, nats:// or tls://), a credentials file (JWT + NKey seed, `.creds`), a
// token, or a user and password, and TLS (the CA to trust, a client certificate and key, the
// expected host name). Send batching is off (natsOptions_SetSendAsap): a request/reply round
// trip then costs ~85 µs instead of ~1 ms. Value type; thread-compatible.
#pragma once

#include <chrono>
#include <string>

namespace traverse {

struct NatsOptions {
  std::string url = "nats://127.0.0.1:4222";
  std::string name;  // the connection name the server shows (e.g. the node name)

  // Authentication: at most one of credentials file, token, user/password is used.
  std::string credentials_file;  // a .creds file (JWT and NKey seed)
  std::string token;
  std::string user;
  std::string password;

  // TLS: on when `tls` is set, when the URL is tls://, or when any file below is given.
  bool tls = false;
  std::string tls_ca_file;    // CA certificates to trust (PEM)
  std::string tls_cert_file;  // client certificate (PEM), with tls_key_file
  std::string tls_key_file;
  std::string tls_hostname;  // expected server host name, when it differs from the URL's

  std::chrono::milliseconds connect_timeout{2000};
  // Reconnect attempts after the connection is lost (-1: forever); between them, reconnect_wait.
  int max_reconnect = 60;
  std::chrono::milliseconds reconnect_wait{250};
};

}  // namespace traverse
