// The notification codec lives with the wire shape in protocol/; kept here for existing importers.
export { isStatsNotification, parseNotification } from "../../protocol/notification.js";
