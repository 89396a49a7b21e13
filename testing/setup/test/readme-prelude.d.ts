/**
 * The user's own code that README examples call but do not show: their business functions, a
 * workflow defined in an earlier example, a queue client. Declared here, globally, for the
 * README type-check only (`readme-code.test.ts`); a block's own declarations take precedence.
 * Kept out of tsconfig.test.json, so these names exist nowhere else.
 */
type Ctx = import('@durable/core').StepContext<any, any>

declare function reserveStock(sku: string, qty: number): Promise<{ reservationId: string }>
declare function releaseStock(reservationId: string): Promise<void>
declare function chargeCard(reservation: { reservationId: string }): Promise<{ paymentId: string }>
declare function refund(paymentId: string): Promise<void>
declare function ship(sku: string, approvedBy?: string): Promise<{ trackingId: string }>
declare function askManager(orderId: string): Promise<void>
declare function sendEmail(toOrCtx: string | Ctx): Promise<{ messageId: string }>
declare function sendSms(toOrCtx: string | Ctx): Promise<{ smsId: string }>
declare function undoSms(ctx: Ctx): Promise<void>
declare function bookCourier(ctx: Ctx): Promise<{ courierId: string }>
declare function bookPost(ctx: Ctx): Promise<{ parcelId: string }>
declare const gateway: { charge(order: Order, options: { idempotencyKey: string }): Promise<{ receiptId: string }> }
declare function pull(tenant: string): Promise<{ pulled: number }>
declare const carrier: { label(orderId: string): Promise<{ ready: boolean; url?: string }> }

interface Order {
  sku: string
  qty: number
}
declare const order: Order
declare function reserve(ctx: Ctx): Promise<{ reservationId: string }>
declare function screen(ctx: Ctx): Promise<{ risk: number }>
declare function charge(ctx: Ctx): Promise<{ paymentId: string }>

declare const checkout: import('@durable/core').Workflow<{ sku: string; qty: number }>
declare const invoiceWorkflow: import('@durable/core').Workflow<{ orderId: string }, { invoice: { number: string } }>
declare const store: import('@durable/core').RunStore
declare const queue: import('@durable/queue-adapter').QueueAdapter
declare const durable: import('@durable/provider').Durable
declare const runId: string
declare const failedRunId: string

/** A queue engine's client, as in the custom-adapter example. */
interface MyClient {
  send(queue: string, message: { runId: string }, options: { startAfter?: Date }): Promise<void>
  work(queue: string, options: { concurrency: number }, handler: (message: { runId: string }) => Promise<void>): Promise<{ stop(): Promise<void> }>
  close(): Promise<void>
}
declare function connect(url: string | undefined): Promise<MyClient>
declare function myQueue(client: MyClient): import('@durable/queue-adapter').QueueAdapter
declare function myStore(options: { url: string | undefined; schema: string }): import('@durable/core').RunStore
declare function dropSchema(store: import('@durable/core').RunStore): Promise<void>
