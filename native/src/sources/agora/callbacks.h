// The C callback tables handed to the SDK. Its callbacks carry an SDK handle instead of a user pointer, so a
// process-wide registry maps handles to the Session that owns them.
#pragma once

#include <initializer_list>
#include <memory>

#include "sources/agora/sdk_api.h"
#include "sources/agora/session.h"

namespace rtcegress::agora {

// Registers session for the given SDK handles (connection, local user, video observer...). A callback whose
// handle is unknown goes to the only registered session, if there is exactly one: the SDK does not promise
// which of its handles each callback passes.
void register_session(const std::shared_ptr<Session>& session, std::initializer_list<Handle> handles);
void unregister_session(const Session* session);

// The SDK's observer tables, whose entries forward to the registered Session. Unused entries are null.
struct ObserverTables {
  RtcConnObserver conn;
  LocalUserObserver local_user;
  AudioFrameObserver audio;
  VideoFrameObserver2 video;
};
ObserverTables make_observer_tables();

}  // namespace rtcegress::agora
