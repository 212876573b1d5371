# Strict warnings for our own targets (not for third-party headers).
function(sshplex_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
    -Wnon-virtual-dtor -Woverloaded-virtual -Wold-style-cast -Wcast-align
    -Wnull-dereference -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
  # GCC 12's libstdc++ at -O3 (plain CMAKE_BUILD_TYPE=Release) reports std::string operator+ and
  # std::vector inserts as overlapping or overflowing copies (GCC bugs 105329, 105651): false
  # positives inside the standard library, which -Werror would turn into a failed build.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict -Wno-stringop-overflow)
  endif()
  if(SSHPLEX_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
