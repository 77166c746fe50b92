# `cmake --install` and the Debian package (`cpack -G DEB` in the build dir).
# The binaries go to bin/, the systemd units to lib/systemd/system/ (their
# paths rewritten for the prefix at install time), the docs and the example
# settings to share/doc/tminus/, bash completion to
# share/bash-completion/completions/.
include(GNUInstallDirs)

install(TARGETS tminus tminus-coordinator tminus-worker RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES README.md docs/api.md docs/architecture.md docs/benchmarks.md docs/metrics.md
              docs/operations.md docs/python.md docs/security.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES deploy/systemd/coordinator.env deploy/systemd/worker.env
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES deploy/completion/tminus.bash RENAME tminus
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
# The units name /usr/local/...; at install time (where CMAKE_INSTALL_PREFIX
# is the package's /usr under cpack) they get the real prefix.
foreach(unit tminus-coordinator.service tminus-worker.service)
  install(CODE "
    file(READ \"${PROJECT_SOURCE_DIR}/deploy/systemd/${unit}\" text)
    string(REPLACE \"/usr/local/\" \"\${CMAKE_INSTALL_PREFIX}/\" text \"\${text}\")
    file(WRITE \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/lib/systemd/system/${unit}\" \"\${text}\")
    message(STATUS \"Installing: \$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/lib/systemd/system/${unit}\")
  ")
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tminus)
set(CPACK_PACKAGE_VENDOR "tminus")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "distributed countdown job scheduler that shows how the work scaled")
set(CPACK_PACKAGE_CONTACT "tminus developers <tminus@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # tminus_0.3.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
# dpkg-shlibdeps turns the binaries' shared libraries into Depends: (grpc,
# protobuf, abseil, ...), so `apt install ./tminus_*.deb` pulls them.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_SOURCE_IGNORE_FILES "/build.*/;/\\\\.git/;/node_modules/")
include(CPack)
