//! Lifecycle behaviour that traces cannot show alone: a long JetTerm2 seen from another
//! thread, and bad handles of every kind answered with a code, never a panic.

use std::sync::Arc;
use std::time::Duration;

use engine::pause::API_LOCKED;
use engine::storage::SimStorage;
use engine::{DatabaseId, Engine, InstanceHandle, JetErr, SessionHandle, TableId};

#[test]
fn a_held_jet_term2_is_term_in_progress_for_other_threads_and_already_initialized_for_init() {
    let engine = Arc::new(Engine::new(Arc::new(SimStorage::new())));
    let mut inst = InstanceHandle::NULL;
    engine.create_instance(Some(&mut inst), Some("a")).unwrap();
    engine.init(Some(&mut inst)).unwrap();
    engine.pause_gates().arm(API_LOCKED);
    let term = {
        let engine = Arc::clone(&engine);
        std::thread::spawn(move || engine.term2(inst, 0))
    };
    assert!(
        engine
            .pause_gates()
            .wait_reached(API_LOCKED, Duration::from_secs(10))
    );
    assert_eq!(
        engine.begin_session(inst, None, None),
        Err(JetErr::TermInProgress)
    );
    assert_eq!(engine.term(inst), Err(JetErr::TermInProgress));
    // INST::ErrAPIEnterForInit (jetapi.cxx) looks only at `m_fJetInitialized`, which the term
    // clears when it completes.
    assert_eq!(
        engine.init(Some(&mut inst.clone())),
        Err(JetErr::AlreadyInitialized)
    );
    engine.pause_gates().release(API_LOCKED);
    assert_eq!(term.join().unwrap(), Ok(()));
    assert_eq!(
        engine.term(inst),
        Err(JetErr::InvalidInstance),
        "the handle is stale now: ESENT's handle validation (the esent profile)"
    );
}

#[test]
fn random_handles_get_codes_and_never_panic() {
    let engine = Engine::new(Arc::new(SimStorage::new()));
    let documented = Engine::with_profile(Arc::new(SimStorage::new()), engine::Profile::Documented);
    let mut other = InstanceHandle::NULL;
    documented
        .create_instance(Some(&mut other), Some("a"))
        .unwrap();
    let mut inst = InstanceHandle::NULL;
    engine.create_instance(Some(&mut inst), Some("a")).unwrap();
    engine.init(Some(&mut inst)).unwrap();
    let s = engine.begin_session(inst, None, None).unwrap();
    for raw in [0u64, 1, 7, 0x1000, 0xFFFF_FFFF, u64::MAX, inst.0 + 99] {
        let bad_s = SessionHandle(raw);
        assert_eq!(engine.begin_transaction(bad_s), Err(JetErr::InvalidSesid));
        assert_eq!(
            engine.create_database(bad_s, Some("x.edb"), 0),
            Err(JetErr::InvalidSesid)
        );
        assert_eq!(
            engine.close_database(s, DatabaseId(raw), 0),
            Err(JetErr::InvalidDatabaseId)
        );
        assert_eq!(
            engine.insert(s, TableId(raw), b"k", b"v"),
            Err(JetErr::InvalidTableId)
        );
        assert_eq!(
            engine.create_table(s, DatabaseId(raw), Some("t")),
            Err(JetErr::InvalidDatabaseId)
        );
        if raw != inst.0 {
            // 0 and nil reach ErrFindPinst; any other unknown handle fails ESENT's validation.
            let code = if InstanceHandle(raw).is_null_or_nil() {
                JetErr::InvalidParameter
            } else {
                JetErr::InvalidInstance
            };
            assert_eq!(engine.term2(InstanceHandle(raw), 0), Err(code));
            assert_eq!(
                engine.begin_session(InstanceHandle(raw), None, None),
                Err(code)
            );
            assert_eq!(
                documented.term2(InstanceHandle(raw), 0),
                Err(JetErr::InvalidParameter),
                "the documented profile has no handle validation"
            );
        }
    }
    for name in [
        None,
        Some(""),
        Some("/abs.edb"),
        Some("../up.edb"),
        Some(&*"x".repeat(300)),
    ] {
        assert!(engine.create_database(s, name, 0).is_err(), "{name:?}");
        assert!(engine.attach_database(s, name, 0).is_err(), "{name:?}");
    }
    let db = engine.create_database(s, Some("ok.edb"), 0).unwrap();
    assert_eq!(engine.create_table(s, db, None), Err(JetErr::InvalidName));
    assert_eq!(
        engine.create_table(s, db, Some(&"t".repeat(65))),
        Err(JetErr::InvalidName)
    );
    assert_eq!(
        engine.open_table(s, db, Some("missing"), 0),
        Err(JetErr::ObjectNotFound)
    );
    engine.end_session(s, 0).unwrap();
    assert_eq!(
        engine.end_session(s, 0),
        Err(JetErr::InvalidSesid),
        "a stale session"
    );
    engine.term(inst).unwrap();
}

#[test]
fn get_instance_misc_info_copies_the_log_signature_after_the_entry_level_and_size_checks() {
    let engine = Engine::new(Arc::new(SimStorage::new()));
    let mut inst = InstanceHandle::NULL;
    engine.create_instance(Some(&mut inst), Some("a")).unwrap();
    assert_eq!(
        engine.get_instance_misc_info(inst, 28, 0),
        Err(JetErr::NotInitialized)
    );
    engine.init(Some(&mut inst)).unwrap();
    // The level is checked before the buffer.
    assert_eq!(
        engine.get_instance_misc_info(inst, 0, 3),
        Err(JetErr::InvalidParameter)
    );
    assert_eq!(
        engine.get_instance_misc_info(inst, 27, 0),
        Err(JetErr::BufferTooSmall)
    );
    let signature = engine.get_instance_misc_info(inst, 64, 0).unwrap();
    assert_eq!(signature.len(), 28);
    assert_ne!(signature[..8], [0; 8], "the log stream's signature");
    // The same log stream after a restart: the same signature.
    engine.term(inst).unwrap();
    let mut again = InstanceHandle::NULL;
    engine.create_instance(Some(&mut again), Some("a")).unwrap();
    engine.init(Some(&mut again)).unwrap();
    assert_eq!(engine.get_instance_misc_info(again, 28, 0), Ok(signature));
    let checkpoint = engine.get_instance_misc_info(again, 16, 1).unwrap();
    assert_eq!(checkpoint.len(), 16);
    assert_eq!(engine.get_instance_misc_info(again, 40, 2), Ok(Vec::new()));
    assert_eq!(
        engine.get_instance_misc_info(InstanceHandle::NULL, 28, 0),
        Err(JetErr::InvalidParameter)
    );
}

#[test]
fn a_session_context_blocks_jet_end_session_until_the_thread_that_set_it_resets_it() {
    let engine = Arc::new(Engine::new(Arc::new(SimStorage::new())));
    let mut inst = InstanceHandle::NULL;
    engine.create_instance(Some(&mut inst), Some("a")).unwrap();
    engine.init(Some(&mut inst)).unwrap();
    let session = engine.begin_session(inst, None, None).unwrap();
    assert_eq!(
        engine.set_session_context(session, 0),
        Err(JetErr::InvalidParameter)
    );
    assert_eq!(
        engine.reset_session_context(session),
        Err(JetErr::SessionContextNotSetByThisThread)
    );
    engine.set_session_context(session, 0x1234).unwrap();
    assert_eq!(
        engine.set_session_context(session, 0x5678),
        Err(JetErr::SessionContextAlreadySet)
    );
    assert_eq!(engine.end_session(session, 0), Err(JetErr::SessionInUse));
    let other = {
        let engine = Arc::clone(&engine);
        std::thread::spawn(move || engine.reset_session_context(session))
    };
    assert_eq!(
        other.join().unwrap(),
        Err(JetErr::SessionContextNotSetByThisThread)
    );
    engine.reset_session_context(session).unwrap();
    assert_eq!(engine.end_session(session, 0), Ok(()));
}

#[test]
fn set_system_parameter_checks_the_session_the_instance_state_and_the_path_length_as_ese_does() {
    use engine::params::{
        CHECKPOINT_DEPTH_MAX, CIRCULAR_LOG, CREATE_PATH_IF_NOT_EXIST, LOG_FILE_PATH,
        ONE_DATABASE_PER_SESSION, TEMP_PATH,
    };
    use jetapi::args::ParamValue;
    let engine = Engine::new(Arc::new(SimStorage::new()));
    engine.enable_multi_instance(Some(&[]), 0).unwrap();
    let mut inst = InstanceHandle::NULL;
    engine.create_instance(Some(&mut inst), Some("a")).unwrap();
    let set = |session: u64, id: u32, value: ParamValue| {
        engine.set_system_parameter(inst, SessionHandle(session), id, &value)
    };
    let text = |n: usize| ParamValue::Text(format!("{}/", "x".repeat(n - 1)));
    // ValidateSet's range: 246 characters for a folder, 247 for TempPath.
    assert_eq!(
        set(0, LOG_FILE_PATH, text(247)),
        Err(JetErr::InvalidParameter)
    );
    assert_eq!(set(0, LOG_FILE_PATH, text(246)), Ok(()));
    assert_eq!(set(0, TEMP_PATH, text(248)), Err(JetErr::InvalidParameter));
    assert_eq!(set(0, TEMP_PATH, text(247)), Ok(()));
    assert_eq!(
        set(0, LOG_FILE_PATH, ParamValue::Text("logs/".into())),
        Ok(())
    );
    assert_eq!(set(0, TEMP_PATH, ParamValue::Text("tmp/".into())), Ok(()));
    assert_eq!(
        set(0, CREATE_PATH_IF_NOT_EXIST, ParamValue::Number(1)),
        Ok(())
    );
    // A made-up session in multi-instance mode: ErrJetValidateSession comes first.
    assert_eq!(
        set(0x7777, CIRCULAR_LOG, ParamValue::Number(1)),
        Err(JetErr::InvalidSesid)
    );
    assert_eq!(
        set(u64::MAX, ONE_DATABASE_PER_SESSION, ParamValue::Number(1)),
        Ok(()),
        "JET_sesidNil is no session; OneDatabasePerSession is a known parameter"
    );
    let mut started = inst;
    engine.init(Some(&mut started)).unwrap();
    let s = engine.begin_session(inst, None, None).unwrap();
    assert_eq!(
        set(s.0, CIRCULAR_LOG, ParamValue::Number(1)),
        Err(JetErr::AlreadyInitialized),
        "fMayNotWriteAfterInstanceInit: the session names the running instance"
    );
    assert_eq!(set(s.0, CIRCULAR_LOG, ParamValue::Number(0)), Ok(()));
    assert_eq!(
        set(0, ONE_DATABASE_PER_SESSION, ParamValue::Number(0)),
        Err(JetErr::AlreadyInitialized)
    );
    assert_eq!(
        set(0, CHECKPOINT_DEPTH_MAX, ParamValue::Number(65536)),
        Ok(())
    );
}
