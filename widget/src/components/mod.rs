//! The widget's UI units, one per file.

pub mod attachment;
pub mod composer;
pub mod contacts;
pub mod ended;
pub mod forms;
pub mod icons;
pub mod launcher;
pub mod message_list;
pub mod window;
