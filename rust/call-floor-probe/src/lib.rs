//! A measuring aid, never shipped: a GDExtension of its own (loaded only by
//! `scripts/call-floor`) with one class, `CallFloorProbe`, whose method
//! `call_floor_probe() -> int` returns 1 through the raw GDExtension interface. No
//! gdext wrapper, no instance borrow, no panic guard, no allocation: its cost per
//! call is the least any extension method can cost on the running Godot, and
//! `scripts/call-floor` sets it beside the engine's getters and ours.

use std::ffi::c_void;
use std::sync::OnceLock;

use godot::init::{gdextension, ExtensionLibrary, InitStage};
use godot::obj::{EngineBitfield, GodotClass};
use godot::prelude::*;
use godot::register::info::PropertyUsageFlags;
use godot::sys;

/// The class the probe method is registered on.
#[derive(GodotClass)]
#[class(base = RefCounted, init)]
pub struct CallFloorProbe {
    base: Base<RefCounted>,
}

struct CallFloorProbeLibrary;

#[gdextension(entry_symbol = call_floor_probe_init)]
unsafe impl ExtensionLibrary for CallFloorProbeLibrary {
    fn on_stage_init(stage: InitStage) {
        // The class is registered at Scene level just before this hook runs.
        if stage == InitStage::Scene {
            register();
        }
    }
}

const NAME: &str = "call_floor_probe";
const VALUE: i64 = 1;

static INT_TO_VARIANT: OnceLock<sys::GDExtensionVariantFromTypeConstructorFunc> = OnceLock::new();

/// An untyped call (`var p = ...; p.call_floor_probe()`): Godot hands over an
/// empty Variant to fill, as godot-cpp also assumes.
unsafe extern "C" fn varcall(
    _method: *mut c_void,
    _instance: sys::GDExtensionClassInstancePtr,
    _args: *const sys::GDExtensionConstVariantPtr,
    arg_count: sys::GDExtensionInt,
    ret: sys::GDExtensionVariantPtr,
    err: *mut sys::GDExtensionCallError,
) {
    if arg_count > 0 {
        // SAFETY: Godot passes a valid error slot.
        unsafe {
            *err = sys::GDExtensionCallError {
                error: sys::GDEXTENSION_CALL_ERROR_TOO_MANY_ARGUMENTS,
                argument: 0,
                expected: 0,
            }
        };
        return;
    }
    let value = VALUE;
    if let Some(Some(int_to_variant)) = INT_TO_VARIANT.get() {
        // SAFETY: `ret` is Godot's empty return Variant and `value` an int, which is what this constructor takes.
        unsafe {
            int_to_variant(
                ret as sys::GDExtensionUninitializedVariantPtr,
                &value as *const i64 as sys::GDExtensionTypePtr,
            )
        };
    }
    // SAFETY: Godot passes a valid error slot.
    unsafe { (*err).error = sys::GDEXTENSION_CALL_OK };
}

/// A typed call (`var p: CallFloorProbe`): Godot's validated call passes a
/// pointer to the int to write.
unsafe extern "C" fn ptrcall(
    _method: *mut c_void,
    _instance: sys::GDExtensionClassInstancePtr,
    _args: *const sys::GDExtensionConstTypePtr,
    ret: sys::GDExtensionTypePtr,
) {
    // A call whose result is unused may pass no slot.
    if !ret.is_null() {
        // SAFETY: the method is registered as returning int, so `ret` points to an i64.
        unsafe { *(ret as *mut i64) = VALUE };
    }
}

fn register() {
    // SAFETY: called at Scene level on the main thread, after the interface is loaded.
    let int_to_variant =
        unsafe { sys::interface_fn!(get_variant_from_type_constructor)(sys::GDEXTENSION_VARIANT_TYPE_INT) };
    INT_TO_VARIANT.get_or_init(|| int_to_variant);

    let method = StringName::from(NAME);
    let class = CallFloorProbe::class_id().to_string_name();
    let no_name = StringName::default();
    let no_hint = GString::new();
    let mut returns = sys::GDExtensionPropertyInfo {
        type_: sys::GDEXTENSION_VARIANT_TYPE_INT,
        name: no_name.string_sys().cast_mut(),
        class_name: no_name.string_sys().cast_mut(),
        hint: 0,
        hint_string: no_hint.string_sys().cast_mut(),
        usage: PropertyUsageFlags::DEFAULT.ord() as u32,
    };
    let info = sys::GDExtensionClassMethodInfo {
        name: method.string_sys().cast_mut(),
        method_userdata: std::ptr::null_mut(),
        call_func: Some(varcall),
        ptrcall_func: Some(ptrcall),
        method_flags: sys::GDEXTENSION_METHOD_FLAGS_DEFAULT as u32,
        has_return_value: 1,
        return_value_info: &mut returns,
        return_value_metadata: sys::GDEXTENSION_METHOD_ARGUMENT_METADATA_INT_IS_INT64,
        argument_count: 0,
        arguments_info: std::ptr::null_mut(),
        arguments_metadata: std::ptr::null_mut(),
        default_argument_count: 0,
        default_arguments: std::ptr::null_mut(),
    };
    // SAFETY: every pointer in `info` outlives the call, which copies what it keeps.
    unsafe {
        sys::interface_fn!(classdb_register_extension_class_method)(sys::get_library(), class.string_sys(), &info)
    };
}
