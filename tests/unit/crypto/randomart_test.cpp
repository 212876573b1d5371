// VisualHostKey's picture, checked against ssh-keygen -lv for three keys.
#include "ssh/crypto/randomart.hpp"

#include <gtest/gtest.h>

#include "ssh/crypto/base64.hpp"

namespace {

using ssh::crypto::randomart;

std::string art_of(const char* base64) {
  const auto blob = ssh::crypto::base64_decode(base64);
  return blob ? randomart(*blob) : std::string("<bad base64>");
}

TEST(RandomArt, SameAsSshKeygen) {
  EXPECT_EQ(art_of("AAAAC3NzaC1lZDI1NTE5AAAAIHp4q/nv8St6KDhsllpaPBur4YLi6tL21EJ6dIe9zw0s"),
            "+--[ED25519 256]--+\n"
            "|                 |\n"
            "|     .   .       |\n"
            "|.   o + E .      |\n"
            "|.o o B = =       |\n"
            "|=.= B @ S        |\n"
            "|+B * % @         |\n"
            "|*.O o B .        |\n"
            "|.* o . .         |\n"
            "|  .              |\n"
            "+----[SHA256]-----+");
  EXPECT_EQ(
      art_of("AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBPxhM8QgFvnjBjiTil28uExbx1dnqSus+"
             "NsTyfXK8WlvmWtgg5IG1z0Qtu5ZzEyw6ZVdMasIbeDtXlk5C2njlEgD5wGh2UJxnwKc3SZIKaEJLMy8vKF+5S4xtugrAd8PEw=="),
      "+---[ECDSA 384]---+\n"
      "|  ...o@.. .      |\n"
      "|   . *.@ +       |\n"
      "|    +.B * .      |\n"
      "|   ..X + = o     |\n"
      "|.. .o B S + .    |\n"
      "|*Eo  o . o       |\n"
      "|X=. . . .        |\n"
      "|oo   . .         |\n"
      "|                 |\n"
      "+----[SHA256]-----+");
  EXPECT_EQ(art_of("AAAAB3NzaC1yc2EAAAADAQABAAABgQDG7ZNIr7yAlkDW/zoUWo1ipn/3Q6256GZYJbnEsqyTqIjC//"
                   "ensqXKbYYVrSAww4xCeLNKTIsi5MMZ8TH50eFcYutcYhj131+oC991LPmZGsW8L41U/C9kvXTQ9ai0GNg/"
                   "I97AgBHUtggaYh0NI+"
                   "8hPMRvXx9cjs7vIIxetuo1onf4NaFqyjkvnYDIMDAgexH6DBQMglNwSphnsjV1rck6rpPmv7isOCv8A898DmkImrbWP4r8XkyZx"
                   "f/55nR0DCUF/cgpWFVK9Zj1hBqcYjNx/9AFnCzkvEjC0Z4C6RLU9IOAsuB9J0z4ji6hKzqE9txVn2PxETMYgzw/"
                   "YRIE3LpUN936S5sQtv5bDI9ttknaIIYfPtZ5fmTtiiT0jFUMuGlNOF8MXBXsctl67/"
                   "2L1KC59fESVyFtMz8eitPgTzg0ThjxMiqRJubHDijBiWQV1uVUOG1+bQbGCVLYfsJ/a8wpuWZaHcCFIJL/"
                   "bsjTBizSiae2ASRvj91hTe+RzywQFB0="),
            "+---[RSA 3072]----+\n"
            "|**oo.o +=        |\n"
            "|*oo.+ ooo        |\n"
            "|+..*o= ...       |\n"
            "|.o*.++.. o       |\n"
            "|.+ .= *ES        |\n"
            "|oo + *.. .       |\n"
            "|+ o = .          |\n"
            "| o . .           |\n"
            "|                 |\n"
            "+----[SHA256]-----+");
}

TEST(RandomArt, MalformedBlobGivesNothing) {
  const std::uint8_t junk[] = {0, 0, 0, 7, 's', 's', 'h', '-', 'd', 's', 's'};
  EXPECT_EQ(randomart(ssh::ByteView(junk, sizeof junk)), "");
  EXPECT_EQ(randomart(ssh::ByteView()), "");
}

}  // namespace
