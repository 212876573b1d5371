#include "ssh/auth/user_auth.hpp"

#include <gtest/gtest.h>

#include "ssh/wire/reader.hpp"
#include "ssh/wire/writer.hpp"

namespace ssh::auth {
namespace {

Bytes plain(const SecretBytes& s) {
  return Bytes(s.begin(), s.end());
}

Bytes failure(std::string_view methods, bool partial) {
  wire::Writer w(51);
  w.string(methods).boolean(partial);
  return w.take();
}

Bytes service_accept() {
  wire::Writer w(6);
  w.string(std::string_view("ssh-userauth"));
  return w.take();
}

// A UserAuth whose service has been accepted, with the SERVICE_REQUEST and first event drained.
UserAuth ready(std::string user = "alice") {
  UserAuth a(std::move(user));
  a.start();
  EXPECT_TRUE(a.poll_send().has_value());
  EXPECT_TRUE(a.handle(service_accept()).ok);
  EXPECT_TRUE(a.poll_event().has_value());
  return a;
}

Bytes request_prefix(std::string_view user, std::string_view method) {
  wire::Writer w(50);
  w.string(user).string(std::string_view("ssh-connection")).string(method);
  return w.take();
}

TEST(UserAuth, ServiceRequestThenAcceptRaisesEmptyMethods) {
  UserAuth a("alice");
  EXPECT_FALSE(a.request_none());  // not before the service is accepted
  a.start();
  auto sent = a.poll_send();
  ASSERT_TRUE(sent);
  wire::Writer expect(5);
  expect.string(std::string_view("ssh-userauth"));
  EXPECT_EQ(plain(*sent), expect.data());
  EXPECT_FALSE(a.poll_send());
  EXPECT_FALSE(a.service_accepted());
  ASSERT_TRUE(a.handle(service_accept()).ok);
  auto ev = a.poll_event();
  ASSERT_TRUE(ev);
  auto* m = std::get_if<aevent::Methods>(&*ev);
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(m->methods.empty());
  EXPECT_FALSE(m->partial_success);
}

TEST(UserAuth, ServiceAcceptForOtherServiceIsRejected) {
  UserAuth a("alice");
  a.start();
  wire::Writer w(6);
  w.string(std::string_view("ssh-connection"));
  EXPECT_FALSE(a.handle(w.data()).ok);
}

TEST(UserAuth, UnsolicitedServiceAcceptIsRejected) {
  UserAuth a("alice");
  EXPECT_FALSE(a.handle(service_accept()).ok);
}

TEST(UserAuth, NoneProbeReturnsMethodList) {
  UserAuth a = ready();
  ASSERT_TRUE(a.request_none());
  EXPECT_FALSE(a.request_password("x"));  // one attempt at a time
  auto sent = a.poll_send();
  ASSERT_TRUE(sent);
  EXPECT_EQ(plain(*sent), request_prefix("alice", "none"));
  ASSERT_TRUE(a.handle(failure("publickey,password,keyboard-interactive", false)).ok);
  auto ev = a.poll_event();
  ASSERT_TRUE(ev);
  auto* m = std::get_if<aevent::Methods>(&*ev);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->methods, (std::vector<std::string>{"publickey", "password", "keyboard-interactive"}));
  EXPECT_FALSE(m->partial_success);
  EXPECT_TRUE(a.request_password("again"));  // free for the next attempt
}

TEST(UserAuth, PasswordSuccess) {
  UserAuth a = ready("bob");
  ASSERT_TRUE(a.request_password("hunter2"));
  auto sent = a.poll_send();
  ASSERT_TRUE(sent);
  wire::Writer expect;
  expect.raw(request_prefix("bob", "password")).boolean(false).string(std::string_view("hunter2"));
  EXPECT_EQ(plain(*sent), expect.data());
  ASSERT_TRUE(a.handle(Bytes{52}).ok);
  EXPECT_TRUE(a.authenticated());
  auto ev = a.poll_event();
  ASSERT_TRUE(ev);
  ASSERT_TRUE(std::holds_alternative<aevent::Success>(*ev));
  EXPECT_EQ(std::get<aevent::Success>(*ev).method, "password");
  // Nothing of the auth protocol is legal afterwards, not even a banner.
  wire::Writer banner(53);
  banner.string(std::string_view("hi")).string(std::string_view(""));
  EXPECT_FALSE(a.handle(banner.data()).ok);
  EXPECT_FALSE(a.request_none());
}

TEST(UserAuth, SuccessOrFailureWithoutRequestIsProtocolError) {
  UserAuth a = ready();
  EXPECT_FALSE(a.handle(Bytes{52}).ok);
  UserAuth b = ready();
  EXPECT_FALSE(b.handle(failure("password", false)).ok);
  UserAuth c("x");
  c.start();
  EXPECT_FALSE(c.handle(Bytes{52}).ok);  // before the service was accepted
}

TEST(UserAuth, PartialSuccess) {
  UserAuth a = ready();
  ASSERT_TRUE(a.request_publickey_signed("ssh-ed25519", as_bytes("blob"), as_bytes("sig")));
  ASSERT_TRUE(a.handle(failure("keyboard-interactive", true)).ok);
  auto ev = a.poll_event();
  ASSERT_TRUE(ev);
  auto& m = std::get<aevent::Methods>(*ev);
  EXPECT_TRUE(m.partial_success);
  EXPECT_EQ(m.methods, std::vector<std::string>{"keyboard-interactive"});
  EXPECT_FALSE(a.authenticated());
}

TEST(UserAuth, BannerBeforeAndDuringAuthentication) {
  UserAuth a("alice");
  a.start();
  wire::Writer banner(53);
  banner.string(std::string_view("Welcome\n")).string(std::string_view("en"));
  ASSERT_TRUE(a.handle(banner.data()).ok);
  auto ev = a.poll_event();
  ASSERT_TRUE(ev);
  EXPECT_EQ(std::get<aevent::Banner>(*ev).message, "Welcome\n");
  ASSERT_TRUE(a.handle(service_accept()).ok);
  a.poll_event();
  ASSERT_TRUE(a.request_none());
  ASSERT_TRUE(a.handle(banner.data()).ok);
  EXPECT_TRUE(std::holds_alternative<aevent::Banner>(*a.poll_event()));
  // A truncated banner (no language tag) is malformed.
  wire::Writer bad(53);
  bad.string(std::string_view("x"));
  EXPECT_FALSE(a.handle(bad.data()).ok);
}

TEST(UserAuth, PublicKeyQueryAndPkOk) {
  UserAuth a = ready();
  const Bytes blob{0, 0, 0, 1, 'k'};
  ASSERT_TRUE(a.request_publickey_query("ssh-ed25519", blob));
  auto sent = a.poll_send();
  ASSERT_TRUE(sent);
  wire::Writer expect;
  expect.raw(request_prefix("alice", "publickey")).boolean(false).string(std::string_view("ssh-ed25519")).string(blob);
  EXPECT_EQ(plain(*sent), expect.data());
  wire::Writer ok(60);
  ok.string(std::string_view("ssh-ed25519")).string(blob);
  ASSERT_TRUE(a.handle(ok.data()).ok);
  auto ev = a.poll_event();
  ASSERT_TRUE(ev);
  auto& pk = std::get<aevent::PublicKeyOk>(*ev);
  EXPECT_EQ(pk.algorithm, "ssh-ed25519");
  EXPECT_EQ(pk.key_blob, blob);
  EXPECT_FALSE(a.attempt_in_flight());
}

TEST(UserAuth, SignedPublicKeyRequestAndDataToSign) {
  const Bytes session_id{1, 2, 3, 4};
  const Bytes blob{9, 9};
  const Bytes data = publickey_data_to_sign(session_id, "alice", "rsa-sha2-512", blob);
  // RFC 4252 §7, built by hand.
  Bytes expect{0, 0, 0, 4, 1, 2, 3, 4, 50, 0, 0, 0, 5, 'a', 'l', 'i', 'c', 'e', 0, 0, 0, 14};
  for (char c : std::string_view("ssh-connection")) expect.push_back(static_cast<std::uint8_t>(c));
  expect.insert(expect.end(), {0, 0, 0, 9});
  for (char c : std::string_view("publickey")) expect.push_back(static_cast<std::uint8_t>(c));
  expect.push_back(1);
  expect.insert(expect.end(), {0, 0, 0, 12});
  for (char c : std::string_view("rsa-sha2-512")) expect.push_back(static_cast<std::uint8_t>(c));
  expect.insert(expect.end(), {0, 0, 0, 2, 9, 9});
  EXPECT_EQ(data, expect);

  UserAuth a = ready();
  ASSERT_TRUE(a.request_publickey_signed("rsa-sha2-512", blob, as_bytes("SIG")));
  auto sent = a.poll_send();
  ASSERT_TRUE(sent);
  // The request is the signed data minus the session id, plus the signature.
  Bytes request(data.begin() + 8, data.end());
  wire::Writer sig;
  sig.string(std::string_view("SIG"));
  request.insert(request.end(), sig.data().begin(), sig.data().end());
  EXPECT_EQ(plain(*sent), request);
  ASSERT_TRUE(a.handle(Bytes{52}).ok);
  EXPECT_EQ(std::get<aevent::Success>(*a.poll_event()).method, "publickey");
}

TEST(UserAuth, Message60MeansWhatThePendingMethodSays) {
  // PK_OK-shaped 60 while "none" is pending: not legal.
  {
    UserAuth a = ready();
    ASSERT_TRUE(a.request_none());
    wire::Writer ok(60);
    ok.string(std::string_view("ssh-ed25519")).string(std::string_view("b"));
    EXPECT_FALSE(a.handle(ok.data()).ok);
  }
  // During a signed publickey attempt PK_OK is not expected either.
  {
    UserAuth a = ready();
    ASSERT_TRUE(a.request_publickey_signed("ssh-ed25519", as_bytes("b"), as_bytes("s")));
    wire::Writer ok(60);
    ok.string(std::string_view("ssh-ed25519")).string(std::string_view("b"));
    EXPECT_FALSE(a.handle(ok.data()).ok);
  }
  // During password it is a change request: reported as failure, password dropped from the list.
  {
    UserAuth a = ready();
    ASSERT_TRUE(a.request_none());
    ASSERT_TRUE(a.handle(failure("password,publickey", false)).ok);
    a.poll_event();
    ASSERT_TRUE(a.request_password("old"));
    wire::Writer change(60);
    change.string(std::string_view("Password expired")).string(std::string_view(""));
    ASSERT_TRUE(a.handle(change.data()).ok);
    auto banner = a.poll_event();
    ASSERT_TRUE(banner);
    EXPECT_NE(std::get<aevent::Banner>(*banner).message.find("Password expired"), std::string::npos);
    auto methods = a.poll_event();
    ASSERT_TRUE(methods);
    EXPECT_EQ(std::get<aevent::Methods>(*methods).methods, std::vector<std::string>{"publickey"});
    EXPECT_FALSE(a.attempt_in_flight());
  }
  // During keyboard-interactive it is an INFO_REQUEST (tested below); a PK_OK body is malformed there.
  {
    UserAuth a = ready();
    ASSERT_TRUE(a.request_keyboard_interactive());
    wire::Writer ok(60);
    ok.string(std::string_view("ssh-ed25519")).string(std::string_view("b"));
    EXPECT_FALSE(a.handle(ok.data()).ok);
  }
}

Bytes info_request(const std::vector<std::pair<std::string, bool>>& prompts, std::string_view name = "",
                   std::string_view instruction = "") {
  wire::Writer w(60);
  w.string(name).string(instruction).string(std::string_view("")).u32(static_cast<std::uint32_t>(prompts.size()));
  for (const auto& [text, echo] : prompts) w.string(std::string_view(text)).boolean(echo);
  return w.take();
}

TEST(UserAuth, KeyboardInteractiveSeveralPrompts) {
  UserAuth a = ready();
  ASSERT_TRUE(a.request_keyboard_interactive());
  auto sent = a.poll_send();
  ASSERT_TRUE(sent);
  wire::Writer expect;
  expect.raw(request_prefix("alice", "keyboard-interactive")).string(std::string_view("")).string(std::string_view(""));
  EXPECT_EQ(plain(*sent), expect.data());

  EXPECT_FALSE(a.respond_keyboard_interactive({}));  // nothing asked yet
  ASSERT_TRUE(a.handle(info_request({{"Password: ", false}, {"Code: ", true}}, "Login", "Two factors")).ok);
  auto ev = a.poll_event();
  ASSERT_TRUE(ev);
  auto& p = std::get<aevent::Prompts>(*ev);
  EXPECT_EQ(p.name, "Login");
  EXPECT_EQ(p.instruction, "Two factors");
  ASSERT_EQ(p.prompts.size(), 2u);
  EXPECT_EQ(p.prompts[0].text, "Password: ");
  EXPECT_FALSE(p.prompts[0].echo);
  EXPECT_TRUE(p.prompts[1].echo);

  EXPECT_FALSE(a.respond_keyboard_interactive({SecretString("only one")}));
  ASSERT_TRUE(a.respond_keyboard_interactive({SecretString("pw"), SecretString("123456")}));
  auto resp = a.poll_send();
  ASSERT_TRUE(resp);
  wire::Writer r(61);
  r.u32(2).string(std::string_view("pw")).string(std::string_view("123456"));
  EXPECT_EQ(plain(*resp), r.data());
  EXPECT_FALSE(a.respond_keyboard_interactive({SecretString("pw"), SecretString("x")}));  // answered already

  ASSERT_TRUE(a.handle(Bytes{52}).ok);
  EXPECT_EQ(std::get<aevent::Success>(*a.poll_event()).method, "keyboard-interactive");
}

TEST(UserAuth, KeyboardInteractiveZeroPromptRequestIsAnsweredAutomatically) {
  UserAuth a = ready();
  ASSERT_TRUE(a.request_keyboard_interactive());
  a.poll_send();
  ASSERT_TRUE(a.handle(info_request({})).ok);
  auto resp = a.poll_send();
  ASSERT_TRUE(resp);
  EXPECT_EQ(plain(*resp), (Bytes{61, 0, 0, 0, 0}));
  EXPECT_FALSE(a.poll_event());  // nothing for the user when there is no text
  // A second round with a prompt still works, then failure.
  ASSERT_TRUE(a.handle(info_request({{"Password: ", false}})).ok);
  ASSERT_TRUE(std::holds_alternative<aevent::Prompts>(*a.poll_event()));
  // An INFO_REQUEST before the previous one is answered is a protocol error.
  EXPECT_FALSE(a.handle(info_request({{"again", false}})).ok);
}

TEST(UserAuth, KeyboardInteractiveZeroPromptWithTextShowsIt) {
  UserAuth a = ready();
  ASSERT_TRUE(a.request_keyboard_interactive());
  a.poll_send();
  ASSERT_TRUE(a.handle(info_request({}, "", "Your password expires soon")).ok);
  auto ev = a.poll_event();
  ASSERT_TRUE(ev);
  EXPECT_EQ(std::get<aevent::Banner>(*ev).message, "Your password expires soon");
  EXPECT_TRUE(a.poll_send());
  ASSERT_TRUE(a.handle(failure("publickey", false)).ok);
  EXPECT_TRUE(std::holds_alternative<aevent::Methods>(*a.poll_event()));
}

TEST(UserAuth, UnansweredPromptsCanBeAbandonedForAnotherMethod) {
  UserAuth a = ready();
  ASSERT_TRUE(a.request_keyboard_interactive());
  a.poll_send();
  EXPECT_FALSE(a.can_attempt());  // the server has not asked anything yet
  EXPECT_FALSE(a.request_password("pw"));
  ASSERT_TRUE(a.handle(info_request({{"Code: ", true}})).ok);
  a.poll_event();
  EXPECT_TRUE(a.can_attempt());
  ASSERT_TRUE(a.request_password("pw"));  // RFC 4252 §5: the server drops the previous attempt
  EXPECT_FALSE(a.respond_keyboard_interactive({SecretString("123")}));
  a.poll_send();
  ASSERT_TRUE(a.handle(Bytes{52}).ok);
  EXPECT_EQ(std::get<aevent::Success>(*a.poll_event()).method, "password");
}

TEST(UserAuth, MalformedMessagesAreRejected) {
  UserAuth a = ready();
  ASSERT_TRUE(a.request_keyboard_interactive());
  // num-prompts far beyond what the payload can hold.
  wire::Writer huge(60);
  huge.string(std::string_view("")).string(std::string_view("")).string(std::string_view("")).u32(0xffffffff);
  EXPECT_FALSE(a.handle(huge.data()).ok);
  // Trailing garbage after the prompts.
  Bytes trailing = info_request({{"p", false}});
  trailing.push_back(7);
  EXPECT_FALSE(a.handle(trailing).ok);
  EXPECT_FALSE(a.handle(Bytes{51, 0, 0}).ok);  // truncated failure
  EXPECT_FALSE(a.handle(Bytes{}).ok);
  EXPECT_FALSE(a.handle(Bytes{50}).ok);     // a client-to-server message
  EXPECT_FALSE(a.handle(Bytes{52, 0}).ok);  // success with trailing bytes
}

TEST(UserAuth, LocalFailureRepeatsLastMethods) {
  UserAuth a = ready();
  ASSERT_TRUE(a.request_none());
  ASSERT_TRUE(a.handle(failure("publickey", false)).ok);
  a.poll_event();
  a.fail_locally();
  auto ev = a.poll_event();
  ASSERT_TRUE(ev);
  EXPECT_EQ(std::get<aevent::Methods>(*ev).methods, std::vector<std::string>{"publickey"});
}

}  // namespace
}  // namespace ssh::auth
