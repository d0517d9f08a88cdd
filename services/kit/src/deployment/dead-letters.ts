/**
 * The topic every subscription dead-letters to (services/kit/src/pubsub.ts), on both
 * targets. One per pub/sub component rather than one per topic: the original topic
 * travels inside the dead-lettered CloudEvent, and RabbitMQ discards what reaches an
 * exchange with no queue bound, so each dead-letter topic needs a live subscriber.
 */
export const deadLetterTopic = 'deadletters';
