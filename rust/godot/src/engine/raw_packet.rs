//! The raw-pointer packet virtuals Godot calls on our `PacketPeer` and
//! `MultiplayerPeer` extensions: where their buffers come from and go to.

use godot::meta::conv::RawPtr;

/// Points Godot's `get_packet` out-parameters at `packet`.
///
/// # Safety
/// The pointers are the ones Godot passed to `_get_packet`, and `packet` must stay
/// alive and unchanged until the next `get_packet` (Godot copies from it first).
pub unsafe fn hand_out(packet: &[u8], r_buffer: RawPtr<*mut RawPtr<*const u8>>, r_buffer_size: RawPtr<*mut i32>) {
    // SAFETY: the caller's contract. RawPtr is not repr(transparent), hence the
    // cast of the outer pointer.
    unsafe {
        *(r_buffer.ptr() as *mut *const u8) = packet.as_ptr();
        *r_buffer_size.ptr() = packet.len() as i32;
    }
}

/// The bytes Godot passes to `put_packet` (none for a null or empty buffer).
///
/// # Safety
/// `p_buffer` and `p_buffer_size` are the ones Godot passed to `_put_packet`; the
/// slice is used only during that call.
pub unsafe fn taken_in<'a>(p_buffer: RawPtr<*const u8>, p_buffer_size: i32) -> &'a [u8] {
    if p_buffer_size <= 0 || p_buffer.ptr().is_null() {
        return &[];
    }
    // SAFETY: Godot passes a buffer of `p_buffer_size` bytes, valid for this call.
    unsafe { std::slice::from_raw_parts(p_buffer.ptr(), p_buffer_size as usize) }
}
